/**
 * The bytes of one entry of a run (entry-run.ts, and its wire form in
 * run-wire.ts): unsigned LEB128 varints in their shortest form, the entry's
 * head (author index, authorSeq, flags, payload length) read and checked,
 * and the faults a reader of run bytes reports.
 */

export const RUN_FLAG_SIGNED = 1
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
  payloadStart: number
  payloadEnd: number
}

// One scratch head: reading is synchronous, and callers take what they need at once.
const head: EntryHead = {
  authorIndex: 0,
  authorSeq: 0,
  signed: false,
  payloadStart: 0,
  payloadEnd: 0,
}

/**
 * Reads the head of the entry at `offset` and checks it: an author index
 * below `authorCount`, known flags, a payload within MAX_RUN_PAYLOAD_BYTES
 * that ends within `data`. Anything else goes to `fail`. The result is
 * overwritten by the next call.
 */
export function readEntryHead(
  data: Uint8Array,
  offset: number,
  authorCount: number,
  fail: RunFault,
): EntryHead {
  const end = data.byteLength
  const authorIndex = readVarint(data, offset, fail)
  if (authorIndex >= authorCount) fail('bad-enum', 'author index out of range', offset)
  const authorSeq = readVarint(data, cursor, fail)
  let at = cursor
  if (at >= end) fail('truncated', 'truncated entry', at)
  const flags = data[at++] as number
  if ((flags & ~RUN_FLAG_SIGNED) !== 0) fail('bad-enum', `unknown entry flags ${flags}`, at)
  const length = readVarint(data, at, fail)
  if (length > MAX_RUN_PAYLOAD_BYTES)
    fail('over-limit', `payload of ${length} bytes is too large`, at)
  if (cursor + length > end) fail('truncated', 'truncated entry', end)
  head.authorIndex = authorIndex
  head.authorSeq = authorSeq
  head.signed = (flags & RUN_FLAG_SIGNED) !== 0
  head.payloadStart = cursor
  head.payloadEnd = cursor + length
  return head
}
