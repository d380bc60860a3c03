/**
 * The bytes of one entry of a run (entry-run.ts, and its wire form in
 * run-wire.ts): unsigned LEB128 varints in their shortest form, the entry's
 * head (author index, authorSeq, flags, proof depth, payload length) read
 * and checked, and the faults a reader of run bytes reports.
 */
import { GROUP_PROOF_MAX_DEPTH, groupProofByteLength, SIGNATURE_BYTES } from './entry.js'

export const RUN_FLAG_SIGNED = 1
/** Signed as one of a group: a u8 proof depth follows the flags, the proof the signature. */
export const RUN_FLAG_GROUPED = 2
/**
 * Wire form only (run-wire.ts): one of a signed group sent whole, its proof
 * left for the receiver to rebuild. The group's first write is flagged
 * SIGNED | ELIDED, a u8 (size - 1) follows its flags and the signature its
 * payload; the others are flagged ELIDED alone and carry neither.
 */
export const RUN_FLAG_ELIDED = 4
/** Most elided writes one wire run may hold: each grows by its proof and signature when read. */
export const MAX_ELIDED_WRITES_PER_RUN = 1 << 14
const KNOWN_FLAGS = RUN_FLAG_SIGNED | RUN_FLAG_GROUPED
const KNOWN_WIRE_FLAGS = KNOWN_FLAGS | RUN_FLAG_ELIDED
/** Largest payload a run holds (the wire's limit too). */
export const MAX_RUN_PAYLOAD_BYTES = 16 << 20

/** What is wrong with bytes that are not a run (named as the wire decoder names it). */
export type RunFaultKind = 'truncated' | 'bad-varint' | 'bad-enum' | 'over-limit' | 'trailing-bytes'

/** Called with why the bytes are not a run and where; must throw. */
export type RunFault = (kind: RunFaultKind, why: string, offset: number) => never

export function varintLength(value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    n++
  }
  return n
}

export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  out[offset++] = value
  return offset
}

// Where the last readVarint stopped (one scratch cursor: parsing is synchronous).
let cursor = 0

/** A shortest-form varint that is a safe integer, at `offset`; sets `cursor` past it. */
function readVarint(data: Uint8Array, offset: number, fail: RunFault): number {
  let value = 0
  let scale = 1
  for (let n = 0; n < 8; n++) {
    const byte = data[offset++]
    if (byte === undefined) return fail('truncated', 'truncated entry', offset)
    value += (byte & 0x7f) * scale
    if (byte < 0x80) {
      if (byte === 0 && n > 0) fail('bad-varint', 'varint not in its shortest form', offset)
      if (!Number.isSafeInteger(value)) break
      cursor = offset
      return value
    }
    scale *= 128
  }
  return fail('bad-varint', 'varint too large', offset)
}

/** Where the fields of one entry sit, from its head. */
export interface EntryHead {
  authorIndex: number
  authorSeq: number
  signed: boolean
  /** Where the flags byte is. */
  flagsAt: number
  /** Wire form: 1 for the first write of an elided group, 2 for the others, 0 otherwise. */
  elided: 0 | 1 | 2
  /** The size of the group an elided group's first write starts. */
  groupSize: number
  payloadStart: number
  payloadEnd: number
  /** Bytes after the payload (and hash): signature and group proof. */
  trailerBytes: number
}

// One scratch head: reading is synchronous, and callers take what they need at once.
const head: EntryHead = {
  authorIndex: 0,
  authorSeq: 0,
  signed: false,
  flagsAt: 0,
  elided: 0,
  groupSize: 0,
  payloadStart: 0,
  payloadEnd: 0,
  trailerBytes: 0,
}

/**
 * Reads the head of the entry at `offset` and checks it: an author index
 * below `authorCount`, known flags (grouped only when signed, with a proof
 * depth of 1 to 8), a payload within MAX_RUN_PAYLOAD_BYTES
 * that ends within `data`. Anything else goes to `fail`. The result is
 * overwritten by the next call.
 */
export function readEntryHead(
  data: Uint8Array,
  offset: number,
  authorCount: number,
  fail: RunFault,
  form: 'stored' | 'wire' = 'stored',
): EntryHead {
  const end = data.byteLength
  const authorIndex = readVarint(data, offset, fail)
  if (authorIndex >= authorCount) fail('bad-enum', 'author index out of range', offset)
  const authorSeq = readVarint(data, cursor, fail)
  let at = cursor
  if (at >= end) fail('truncated', 'truncated entry', at)
  const flagsAt = at
  const flags = data[at++] as number
  const known = form === 'wire' ? KNOWN_WIRE_FLAGS : KNOWN_FLAGS
  if ((flags & ~known) !== 0) fail('bad-enum', `unknown entry flags ${flags}`, at)
  let trailerBytes = (flags & RUN_FLAG_SIGNED) === 0 ? 0 : SIGNATURE_BYTES
  let elided: 0 | 1 | 2 = 0
  let groupSize = 0
  if ((flags & RUN_FLAG_ELIDED) !== 0) {
    if ((flags & RUN_FLAG_GROUPED) !== 0) fail('bad-enum', `unknown entry flags ${flags}`, at)
    elided = trailerBytes === 0 ? 2 : 1
    if (elided === 1) {
      if (at >= end) fail('truncated', 'truncated entry', at)
      groupSize = (data[at++] as number) + 1
      if (groupSize < 2) fail('bad-enum', 'an elided group of one', at)
    }
  } else if ((flags & RUN_FLAG_GROUPED) !== 0) {
    if (trailerBytes === 0) fail('bad-enum', 'a grouped entry must be signed', at)
    if (at >= end) fail('truncated', 'truncated entry', at)
    const depth = data[at++] as number
    if (depth < 1 || depth > GROUP_PROOF_MAX_DEPTH)
      fail('over-limit', `group proof depth ${depth}`, at)
    trailerBytes += groupProofByteLength(depth)
  }
  const length = readVarint(data, at, fail)
  if (length > MAX_RUN_PAYLOAD_BYTES)
    fail('over-limit', `payload of ${length} bytes is too large`, at)
  if (cursor + length > end) fail('truncated', 'truncated entry', end)
  head.authorIndex = authorIndex
  head.authorSeq = authorSeq
  head.signed = (flags & RUN_FLAG_SIGNED) !== 0
  head.flagsAt = flagsAt
  head.elided = elided
  head.groupSize = groupSize
  head.payloadStart = cursor
  head.payloadEnd = cursor + length
  head.trailerBytes = trailerBytes
  return head
}
