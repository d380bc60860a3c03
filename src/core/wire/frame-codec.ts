/**
 * The binary form of every frame peers exchange. Envelope: u8 version |
 * u8 kind | body. Integers are unsigned LEB128 varints unless noted; strings
 * and blobs are varint-length-prefixed. Decoding validates every field and
 * every limit before allocating, and throws only DecodeError.
 *
 * A SyncResponse carries a dense run of entries: seqs follow from
 * `firstSeq`, prevHash of each entry after the first is the hash before it,
 * and authors are listed once in a table (a libp2p peer id is 52 bytes, more
 * than a small entry's payload). Its entries come without their hashes, and
 * the run ends with the last one: the receiver computes every hash (it
 * would verify each anyway) and checks it reaches that one. A signed group
 * it holds whole goes without its proofs, its signature once; the receiver
 * rebuilds them from the writes (run-wire.ts).
 */
import { groupRebuilder } from '../crypto/entry-signing.js'
import { describeValue, InvalidArgumentError, MeshlogError } from '../errors.js'
import { type Entry, HASH_BYTES } from '../log/entry.js'
import { sealWireRun } from '../log/entry-chain.js'
import { createJsHasher, type EntryHasher } from '../log/entry-hasher.js'
import { EntryRun, type RunFault, type RunHeader } from '../log/entry-run.js'
import {
  type ChannelId,
  channelId,
  isSeqNumber,
  MAX_CHANNEL_ID_LENGTH,
  MAX_PEER_ID_LENGTH,
  peerId,
  type Seq,
} from '../log/ids.js'
import { varintLength } from '../log/run-bytes.js'
import { packEntries } from '../log/run-pack.js'
import { trimAuthors } from '../log/run-repack.js'
import { wireByteLength, writeWire } from '../log/run-wire.js'
import {
  BANDWIDTH_CLASSES,
  NACK_REASONS,
  REPLICA_ROLES,
  SYNC_NACK_DETAIL_MAX_LENGTH,
  type SyncHeartbeat,
  type SyncNack,
  type SyncRequest,
  type SyncResponse,
} from '../replication/messages.js'
import { packedSyncResponse, responseRun } from '../replication/packed-response.js'
import type { Propose } from '../replication/propose-message.js'
import { ByteReader } from './byte-reader.js'
import { ByteWriter } from './byte-writer.js'
import { DecodeError } from './decode-error.js'
import {
  decodeHandoffBody,
  encodeHandoffBody,
  HANDOFF_FRAME_KIND_CODE,
  type HandoffWireFrame,
} from './handoff-frame-codec.js'
import { readProposeBody, writeProposeBody } from './propose-codec.js'
import {
  decodeSessionBody,
  encodeSessionBody,
  SESSION_FRAME_KIND_CODES,
  type SessionFrameKind,
  type SessionWireFrame,
} from './sync-frame-codec.js'
import {
  MAX_AUTHORS_PER_FRAME,
  MAX_ENTRIES_PER_FRAME,
  MAX_FRAME_BYTES,
  WIRE_VERSION,
} from './wire-limits.js'

export type WireFrame =
  | { readonly kind: 'heartbeat'; readonly message: SyncHeartbeat }
  | { readonly kind: 'sync-request'; readonly message: SyncRequest }
  | { readonly kind: 'sync-response'; readonly message: SyncResponse }
  | { readonly kind: 'sync-nack'; readonly message: SyncNack }
  // Writes forwarded to the leader (offline-first writes); body in propose-codec.ts.
  | { readonly kind: 'propose'; readonly message: Propose }
  // Leadership hand-off on drain; body in handoff-frame-codec.ts.
  | HandoffWireFrame
  // Sync sessions and epoch rotation (src/core/sync); bodies in sync-frame-codec.ts.
  | SessionWireFrame

export type WireFrameKind = WireFrame['kind']

/** Wire codes of frame kinds; never reuse a retired code. */
export const FRAME_KIND_CODES: Readonly<Record<WireFrameKind, number>> = {
  heartbeat: 1,
  'sync-request': 2,
  'sync-response': 3,
  'sync-nack': 4,
  propose: 5,
  // 7 is reserved for a propose acknowledgement.
  'leader-handoff': HANDOFF_FRAME_KIND_CODE,
  // 16 and up: sync session and epoch rotation frames.
  ...SESSION_FRAME_KIND_CODES,
}
const KIND_BY_CODE = new Map(
  Object.entries(FRAME_KIND_CODES).map(([k, c]) => [c, k as WireFrameKind]),
)

// UTF-8 takes at most 3 bytes per UTF-16 code unit.
const MAX_CHANNEL_BYTES = MAX_CHANNEL_ID_LENGTH * 3
const MAX_PEER_BYTES = MAX_PEER_ID_LENGTH * 3
const MAX_DETAIL_BYTES = SYNC_NACK_DETAIL_MAX_LENGTH * 3
// authorIndex, authorSeq, flags, payload length (1 byte each at least) + hash.
const MIN_ENTRY_BYTES = 4 + HASH_BYTES
// The same in a sync response, whose entries travel without their hashes.
const MIN_WIRE_ENTRY_BYTES = 4
const U64_MAX = (1n << 64n) - 1n

// ---- encoding -------------------------------------------------------------

function invalid(message: string, value: unknown): never {
  throw new InvalidArgumentError(`cannot encode frame: ${message}`, {
    details: { value: describeValue(value) },
  })
}

function checkSeq(value: unknown, what: string): number {
  if (!isSeqNumber(value)) invalid(`${what} must be a non-negative safe integer`, value)
  return value
}

function checkRequestId(value: unknown): bigint {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX)
    invalid('requestId must be a u64 bigint', value)
  return value
}

function enumCode(list: readonly string[], value: unknown, what: string): number {
  const code = list.indexOf(value as string)
  if (code < 0) invalid(`unknown ${what}`, value)
  return code
}

/**
 * Entries as a run: count, then (when there are any) the first prevHash,
 * the author table and the packed entries (entry-run.ts), which run to the
 * end of the frame. A sync response's run goes in its wire form (no
 * per-entry hash) and ends with its last hash, which the receiver's own
 * hashing must reach.
 */
function writeRun(w: ByteWriter, whole: EntryRun, form: 'hashed' | 'wire' = 'hashed'): void {
  // A decoder refuses authors no entry uses (a slice of a stored run may list some).
  writeTrimmedRun(w, trimAuthors(whole), form)
}

function writeTrimmedRun(w: ByteWriter, run: EntryRun, form: 'hashed' | 'wire'): void {
  w.varint(run.count)
  if (run.count === 0) return
  w.bytes(run.prevHash)
  w.varint(run.authors.length)
  for (const author of run.authors) w.string(author)
  if (form === 'hashed') {
    w.bytes(run.bytes())
    return
  }
  w.fill(wireByteLength(run), (out, at) => writeWire(run, out, at))
  w.bytes(run.lastHash)
}

function writeEntries(
  w: ByteWriter,
  channel: ChannelId,
  firstSeq: number,
  entries: readonly Entry[],
): void {
  writeRun(w, packEntries(channel, entries, firstSeq as Seq))
}

/** A sync response's entries, packed: the run it was made from, or one made from its entries. */
function packedEntries(m: SyncResponse): EntryRun {
  const run = responseRun(m) ?? packEntries(m.channelId, m.entries, m.firstSeq)
  if (run.channel !== m.channelId || run.firstSeq !== m.firstSeq)
    invalid("the run does not start at the response's firstSeq", run.firstSeq)
  return run
}

const textEncoder = new TextEncoder()

function initialCapacity(frame: WireFrame): number {
  return frame.kind === 'sync-chunk' || frame.kind === 'propose' ? 1024 : 96
}

/**
 * The exact size of a sync response's frame over `run` (trimmed to its
 * authors), as encodeFrame writes it: a buffer of that size is the frame,
 * with no copy into a buffer of the right size at the end (a 1 MiB chunk's
 * frame copied into fresh memory cost a leader more than encoding it).
 */
export function syncResponseFrameBytes(m: SyncResponse, run: EntryRun): number {
  const sized = (text: string) => {
    const bytes = textEncoder.encode(text).byteLength
    return varintLength(bytes) + bytes
  }
  let bytes = 2 + sized(m.channelId) + varintLength(m.firstSeq)
  bytes += varintLength(m.leaderFirstRetainedSeq) + 8 + varintLength(run.count)
  if (run.count === 0) return bytes
  bytes += HASH_BYTES + varintLength(run.authors.length) + wireByteLength(run) + HASH_BYTES
  for (const author of run.authors) bytes += sized(author)
  return bytes
}

/** Encodes a frame; throws InvalidArgumentError for a message it would refuse to decode. */
export function encodeFrame(frame: WireFrame): Uint8Array {
  const response =
    frame.kind === 'sync-response' ? trimAuthors(packedEntries(frame.message)) : undefined
  const w = new ByteWriter(
    response === undefined
      ? initialCapacity(frame)
      : syncResponseFrameBytes(frame.message as SyncResponse, response),
  )
  w.u8(WIRE_VERSION).u8(FRAME_KIND_CODES[frame.kind] ?? invalid('unknown frame kind', frame.kind))
  const { channelId: channel } = frame.message
  w.string(channelId(channel))
  switch (frame.kind) {
    case 'heartbeat': {
      const m = frame.message
      w.varint(checkSeq(m.tailSeq, 'tailSeq'))
      w.u8(enumCode(REPLICA_ROLES, m.role, 'role'))
      w.varint(checkSeq(m.wallClockMs, 'wallClockMs'))
      break
    }
    case 'sync-request': {
      const m = frame.message
      w.varint(checkSeq(m.sinceSeq, 'sinceSeq'))
      w.varint(checkSeq(m.chunkMax, 'chunkMax'))
      w.u64(checkRequestId(m.requestId))
      w.u8(enumCode(BANDWIDTH_CLASSES, m.bandwidthClass, 'bandwidth class'))
      // Optional last field: present only in chained read-ahead requests.
      if (m.afterRequestId !== undefined) w.u64(checkRequestId(m.afterRequestId))
      break
    }
    case 'sync-response': {
      const m = frame.message
      w.varint(checkSeq(m.firstSeq, 'firstSeq'))
      w.varint(checkSeq(m.leaderFirstRetainedSeq, 'leaderFirstRetainedSeq'))
      w.u64(checkRequestId(m.requestId))
      writeTrimmedRun(w, response as EntryRun, 'wire')
      break
    }
    case 'sync-nack': {
      const m = frame.message
      w.varint(checkSeq(m.sinceSeq, 'sinceSeq'))
      w.u8(enumCode(NACK_REASONS, m.reason, 'nack reason'))
      w.varint(checkSeq(m.leaderFirstRetainedSeq, 'leaderFirstRetainedSeq'))
      w.u64(checkRequestId(m.requestId))
      w.string(m.detail.slice(0, SYNC_NACK_DETAIL_MAX_LENGTH))
      break
    }
    case 'propose':
      writeProposeBody(w, frame.message)
      break
    case 'leader-handoff':
      encodeHandoffBody(w, frame.message)
      break
    default:
      encodeSessionBody(w, frame, writeEntries)
  }
  const bytes = w.finish()
  if (bytes.byteLength > MAX_FRAME_BYTES)
    invalid(`frame of ${bytes.byteLength} bytes is too large`, frame.kind)
  return bytes
}

// ---- decoding -------------------------------------------------------------

function readId<T>(r: ByteReader, maxBytes: number, make: (s: string) => T, what: string): T {
  const text = r.string(maxBytes, what)
  try {
    return make(text)
  } catch {
    throw new DecodeError('bad-id', `${what} is not a valid id`, { offset: r.offset })
  }
}

function readEnum<T extends string>(r: ByteReader, list: readonly T[], what: string): T {
  const code = r.u8(what)
  const value = list[code]
  if (value === undefined)
    throw new DecodeError('bad-enum', `unknown ${what} ${code}`, { offset: r.offset })
  return value
}

/** The run header and entry count of a run's encoding, up to its entries. */
function readRunHeader(
  r: ByteReader,
  channel: ChannelId,
  firstSeq: number,
  minEntryBytes: number,
): { readonly header: RunHeader; readonly count: number } | undefined {
  const count = r.varint('entry count')
  if (count > MAX_ENTRIES_PER_FRAME || count * minEntryBytes > r.remaining) {
    throw new DecodeError('over-limit', `${count} entries cannot fit this frame`, {
      offset: r.offset,
    })
  }
  if (firstSeq + count > Number.MAX_SAFE_INTEGER) {
    throw new DecodeError('inconsistent', 'entry seqs overflow', { firstSeq, count })
  }
  if (count === 0) return undefined
  const prevHash = r.bytes(HASH_BYTES, 'prevHash')
  const authorCount = r.varint('author count')
  if (authorCount === 0 || authorCount > MAX_AUTHORS_PER_FRAME || authorCount > count) {
    throw new DecodeError('over-limit', `author table of ${authorCount}`, { offset: r.offset })
  }
  const authors = []
  for (let i = 0; i < authorCount; i++) authors.push(readId(r, MAX_PEER_BYTES, peerId, 'author'))
  return { header: { channel, firstSeq: firstSeq as Seq, prevHash, authors }, count }
}

function runFault(base: number): RunFault {
  return (kind, why, offset) => {
    throw new DecodeError(kind, why, { offset: base + offset })
  }
}

function readRun(r: ByteReader, channel: ChannelId, firstSeq: number): EntryRun {
  const head = readRunHeader(r, channel, firstSeq, MIN_ENTRY_BYTES)
  if (head === undefined) return EntryRun.empty(channel, firstSeq as Seq)
  const base = r.offset
  const data = r.bytes(r.remaining, 'entries')
  return EntryRun.parse(head.header, data, head.count, runFault(base))
}

/** A sync response's run, hashed here from its wire form, and the last hash its sender claimed. */
function readWireRun(
  r: ByteReader,
  channel: ChannelId,
  firstSeq: number,
  hasher: EntryHasher,
): { readonly run: EntryRun; readonly claimedLastHash?: Uint8Array } {
  const head = readRunHeader(r, channel, firstSeq, MIN_WIRE_ENTRY_BYTES)
  if (head === undefined) return { run: EntryRun.empty(channel, firstSeq as Seq) }
  if (r.remaining < HASH_BYTES) {
    throw new DecodeError('truncated', 'no last hash after the entries', { offset: r.offset })
  }
  const base = r.offset
  const wire = r.bytes(r.remaining - HASH_BYTES, 'entries')
  const claimedLastHash = r.bytes(HASH_BYTES, 'lastHash')
  const { header } = head
  // Groups sent whole come without their proofs: rebuilt from the writes' signing digests.
  const regroup = groupRebuilder(hasher, header.channel, header.authors)
  return {
    run: sealWireRun(hasher, header, wire, head.count, runFault(base), regroup),
    claimedLastHash,
  }
}

function readEntries(r: ByteReader, channel: ChannelId, firstSeq: number): Entry[] {
  return readRun(r, channel, firstSeq).entries()
}

function decodeBody(r: ByteReader, kind: WireFrameKind, hasher: EntryHasher): WireFrame {
  const channel = readId(r, MAX_CHANNEL_BYTES, channelId, 'channel id')
  switch (kind) {
    case 'heartbeat':
      return {
        kind,
        message: {
          channelId: channel,
          tailSeq: r.varint('tailSeq') as Seq,
          role: readEnum(r, REPLICA_ROLES, 'role'),
          wallClockMs: r.varint('wallClockMs'),
        },
      }
    case 'sync-request': {
      const message = {
        channelId: channel,
        sinceSeq: r.varint('sinceSeq') as Seq,
        chunkMax: r.varint('chunkMax'),
        requestId: r.u64('requestId'),
        bandwidthClass: readEnum(r, BANDWIDTH_CLASSES, 'bandwidth class'),
      }
      if (r.remaining === 0) return { kind, message }
      return { kind, message: { ...message, afterRequestId: r.u64('afterRequestId') } }
    }
    case 'sync-response': {
      const firstSeq = r.varint('firstSeq') as Seq
      const leaderFirstRetainedSeq = r.varint('leaderFirstRetainedSeq') as Seq
      const requestId = r.u64('requestId')
      const { run, claimedLastHash } = readWireRun(r, channel, firstSeq, hasher)
      return {
        kind,
        message: packedSyncResponse(
          { channelId: channel, firstSeq, leaderFirstRetainedSeq, requestId },
          run,
          claimedLastHash,
        ),
      }
    }
    case 'sync-nack': {
      const sinceSeq = r.varint('sinceSeq') as Seq
      const reason = readEnum(r, NACK_REASONS, 'nack reason')
      const leaderFirstRetainedSeq = r.varint('leaderFirstRetainedSeq') as Seq
      const requestId = r.u64('requestId')
      const detail = r.string(MAX_DETAIL_BYTES, 'detail')
      if (detail.length > SYNC_NACK_DETAIL_MAX_LENGTH) {
        throw new DecodeError('over-limit', 'nack detail is too long', { length: detail.length })
      }
      return {
        kind,
        message: {
          channelId: channel,
          sinceSeq,
          reason,
          leaderFirstRetainedSeq,
          requestId,
          detail,
        },
      }
    }
    case 'propose':
      return { kind, message: { channelId: channel, entries: readProposeBody(r) } }
    case 'leader-handoff':
      return decodeHandoffBody(r, channel)
    default:
      return decodeSessionBody(r, kind as SessionFrameKind, channel, readEntries)
  }
}

let fallbackHasher: EntryHasher | undefined

/** The pure-JS BLAKE3, made once: for callers that decode without a hasher of their own. */
function jsHasher(): EntryHasher {
  fallbackHasher ??= createJsHasher()
  return fallbackHasher
}

/**
 * Decodes and validates one frame. Entry payloads and hashes are views into
 * `bytes` (no copy), except in a sync response: its entries come without
 * hashes, and `hasher` computes them into a run of its own (without one,
 * the pure-JS BLAKE3, which gives the same hashes slower). Throws
 * DecodeError, and nothing else, for any input.
 */
export function decodeFrame(bytes: Uint8Array, hasher?: EntryHasher): WireFrame {
  try {
    if (!(bytes instanceof Uint8Array) || bytes.byteLength === 0) {
      throw new DecodeError('empty', 'empty frame')
    }
    if (bytes.byteLength > MAX_FRAME_BYTES) {
      throw new DecodeError('too-large', `frame of ${bytes.byteLength} bytes`, {
        size: bytes.byteLength,
      })
    }
    const r = new ByteReader(bytes)
    const version = r.u8('version')
    if (version !== WIRE_VERSION)
      throw new DecodeError('unknown-version', `wire version ${version}`)
    const code = r.u8('kind')
    const kind = KIND_BY_CODE.get(code)
    if (kind === undefined) throw new DecodeError('unknown-kind', `frame kind ${code}`)
    const frame = decodeBody(r, kind, hasher ?? jsHasher())
    r.end()
    return frame
  } catch (error) {
    if (error instanceof DecodeError) throw error
    // Defence in depth: nothing else may escape a decoder fed by peers.
    throw new DecodeError('inconsistent', 'frame could not be decoded', {
      cause: error instanceof MeshlogError ? error.code : String(error),
    })
  }
}
