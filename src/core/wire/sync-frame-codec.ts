/**
 * Bodies of the sync session and epoch rotation frames (codes 16 and up).
 * `frame-codec.ts` writes the envelope and the channel id, then hands the
 * rest to these functions; the entry run of a chunk is written by the
 * envelope codec's own entry writer, passed in so the two files do not
 * import each other. Same rules as the envelope: every field and limit is
 * checked before anything is allocated, and decoding throws only DecodeError.
 */
import { describeValue, InvalidArgumentError } from '../errors.js'
import type { Entry } from '../log/entry.js'
import { HASH_BYTES } from '../log/entry.js'
import {
  type ChannelId,
  isSeqNumber,
  MAX_PEER_ID_LENGTH,
  type PeerId,
  peerId,
  type Seq,
} from '../log/ids.js'
import {
  EPOCH_ABORT_DETAIL_MAX_LENGTH,
  EPOCH_ABORT_REASONS,
  type EpochAbort,
  type EpochCommit,
  type EpochConfirm,
  type EpochPropose,
  MAX_REPLICA_SET_SIZE,
} from '../sync/epoch/epoch-messages.js'
import type { TreeHead } from '../sync/merkle-hash.js'
import {
  MAX_PROOF_HASHES,
  SYNC_CLOSE_DETAIL_MAX_LENGTH,
  SYNC_CLOSE_REASONS,
  type SyncChunk,
  type SyncClose,
  type SyncFetch,
  type SyncHead,
  type SyncOpen,
} from '../sync/protocol/sync-messages.js'
import type { ByteReader } from './byte-reader.js'
import type { ByteWriter } from './byte-writer.js'
import { DecodeError } from './decode-error.js'
import { MAX_ENTRIES_PER_FRAME, MAX_FRAME_BYTES } from './wire-limits.js'

export type SyncWireFrame =
  | { readonly kind: 'sync-open'; readonly message: SyncOpen }
  | { readonly kind: 'sync-head'; readonly message: SyncHead }
  | { readonly kind: 'sync-fetch'; readonly message: SyncFetch }
  | { readonly kind: 'sync-chunk'; readonly message: SyncChunk }
  | { readonly kind: 'sync-close'; readonly message: SyncClose }

export type EpochWireFrame =
  | { readonly kind: 'epoch-propose'; readonly message: EpochPropose }
  | { readonly kind: 'epoch-confirm'; readonly message: EpochConfirm }
  | { readonly kind: 'epoch-commit'; readonly message: EpochCommit }
  | { readonly kind: 'epoch-abort'; readonly message: EpochAbort }

export type SessionWireFrame = SyncWireFrame | EpochWireFrame
export type SessionFrameKind = SessionWireFrame['kind']

/** Wire codes of the sync and epoch frame kinds; never reuse a retired code. */
export const SESSION_FRAME_KIND_CODES: Readonly<Record<SessionFrameKind, number>> = {
  'sync-open': 16,
  'sync-head': 17,
  'sync-fetch': 18,
  'sync-chunk': 19,
  'sync-close': 20,
  'epoch-propose': 21,
  'epoch-confirm': 22,
  'epoch-commit': 23,
  'epoch-abort': 24,
}

const SESSION_KINDS = new Set<string>(Object.keys(SESSION_FRAME_KIND_CODES))

export function isSessionFrame(frame: { readonly kind: string }): frame is SessionWireFrame {
  return SESSION_KINDS.has(frame.kind)
}

export function isEpochFrame(frame: SessionWireFrame): frame is EpochWireFrame {
  return frame.kind.startsWith('epoch-')
}

export type WriteEntries = (
  w: ByteWriter,
  channel: ChannelId,
  firstSeq: number,
  entries: readonly Entry[],
) => void
export type ReadEntries = (r: ByteReader, channel: ChannelId, firstSeq: number) => Entry[]

const U64_MAX = (1n << 64n) - 1n
const MAX_PEER_BYTES = MAX_PEER_ID_LENGTH * 3

// ---- encoding -------------------------------------------------------------

function invalid(message: string, value: unknown): never {
  throw new InvalidArgumentError(`cannot encode frame: ${message}`, {
    details: { value: describeValue(value) },
  })
}

function nat(w: ByteWriter, value: unknown, what: string): void {
  if (!isSeqNumber(value)) invalid(`${what} must be a non-negative safe integer`, value)
  w.varint(value)
}

function id64(w: ByteWriter, value: unknown, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX)
    invalid(`${what} must be a u64 bigint`, value)
  w.u64(value)
}

function hash(w: ByteWriter, value: unknown, what: string): void {
  if (!(value instanceof Uint8Array) || value.byteLength !== HASH_BYTES)
    invalid(`${what} must be ${HASH_BYTES} bytes`, value)
  w.bytes(value)
}

function treeHead(w: ByteWriter, head: TreeHead, what: string): void {
  nat(w, head.size, `${what} size`)
  hash(w, head.root, `${what} root`)
}

function hashes(w: ByteWriter, list: readonly Uint8Array[], what: string): void {
  if (list.length > MAX_PROOF_HASHES) invalid(`${what} has too many hashes`, list)
  w.varint(list.length)
  for (const h of list) hash(w, h, what)
}

function enumCode(list: readonly string[], value: unknown, what: string): number {
  const code = list.indexOf(value as string)
  if (code < 0) invalid(`unknown ${what}`, value)
  return code
}

function replicaSet(w: ByteWriter, set: readonly PeerId[]): void {
  if (set.length === 0 || set.length > MAX_REPLICA_SET_SIZE)
    invalid(`a replica set holds 1 to ${MAX_REPLICA_SET_SIZE} peers`, set)
  if (new Set(set).size !== set.length) invalid('a replica set must not repeat a peer', set)
  w.varint(set.length)
  for (const peer of set) w.string(peerId(peer))
}

/** Writes the body after the channel id. Throws InvalidArgumentError for what a decoder would refuse. */
export function encodeSessionBody(
  w: ByteWriter,
  frame: SessionWireFrame,
  writeEntries: WriteEntries,
): void {
  switch (frame.kind) {
    case 'sync-open':
      id64(w, frame.message.sessionId, 'sessionId')
      treeHead(w, frame.message.head, 'head')
      return
    case 'sync-head': {
      const m = frame.message
      id64(w, m.sessionId, 'sessionId')
      treeHead(w, m.head, 'head')
      if (m.prefix.size > m.head.size) invalid('prefix must not exceed the head', m.prefix.size)
      treeHead(w, m.prefix, 'prefix')
      hashes(w, m.consistency, 'consistency proof')
      return
    }
    case 'sync-fetch': {
      const m = frame.message
      id64(w, m.sessionId, 'sessionId')
      nat(w, m.requestSeq, 'requestSeq')
      nat(w, m.fromSeq, 'fromSeq')
      nat(w, m.treeSize, 'treeSize')
      if (m.fromSeq >= m.treeSize) invalid('fromSeq must be below treeSize', m.fromSeq)
      if (!(m.maxEntries >= 1 && m.maxEntries <= MAX_ENTRIES_PER_FRAME))
        invalid('maxEntries out of range', m.maxEntries)
      if (!(m.maxBytes >= 1 && m.maxBytes <= MAX_FRAME_BYTES))
        invalid('maxBytes out of range', m.maxBytes)
      nat(w, m.maxEntries, 'maxEntries')
      nat(w, m.maxBytes, 'maxBytes')
      return
    }
    case 'sync-chunk': {
      const m = frame.message
      id64(w, m.sessionId, 'sessionId')
      nat(w, m.requestSeq, 'requestSeq')
      nat(w, m.firstSeq, 'firstSeq')
      nat(w, m.treeSize, 'treeSize')
      if (m.entries.length === 0) invalid('a chunk carries at least one entry', m.entries)
      if (m.firstSeq + m.entries.length > m.treeSize)
        invalid('chunk runs past its tree', m.treeSize)
      hashes(w, m.proof, 'range proof')
      writeEntries(w, m.channelId, m.firstSeq, m.entries)
      return
    }
    case 'sync-close':
      id64(w, frame.message.sessionId, 'sessionId')
      w.u8(enumCode(SYNC_CLOSE_REASONS, frame.message.reason, 'close reason'))
      w.string(frame.message.detail.slice(0, SYNC_CLOSE_DETAIL_MAX_LENGTH))
      return
    case 'epoch-propose':
    case 'epoch-commit':
      id64(w, frame.message.rotationId, 'rotationId')
      nat(w, frame.message.epoch, 'epoch')
      replicaSet(w, frame.message.replicaSet)
      return
    case 'epoch-confirm':
      id64(w, frame.message.rotationId, 'rotationId')
      nat(w, frame.message.epoch, 'epoch')
      return
    case 'epoch-abort':
      id64(w, frame.message.rotationId, 'rotationId')
      nat(w, frame.message.epoch, 'epoch')
      w.u8(enumCode(EPOCH_ABORT_REASONS, frame.message.reason, 'abort reason'))
      w.string(frame.message.detail.slice(0, EPOCH_ABORT_DETAIL_MAX_LENGTH))
      return
  }
}

// ---- decoding -------------------------------------------------------------

function inconsistent(message: string, details: Record<string, unknown> = {}): never {
  throw new DecodeError('inconsistent', message, details)
}

function readTreeHead(r: ByteReader, what: string): TreeHead {
  const size = r.varint(`${what} size`)
  return { size, root: r.bytes(HASH_BYTES, `${what} root`) }
}

function readHashes(r: ByteReader, what: string): Uint8Array[] {
  const count = r.varint(`${what} length`)
  if (count > MAX_PROOF_HASHES || count * HASH_BYTES > r.remaining) {
    throw new DecodeError('over-limit', `${what} of ${count} hashes`, { offset: r.offset })
  }
  const list: Uint8Array[] = []
  for (let i = 0; i < count; i++) list.push(r.bytes(HASH_BYTES, what))
  return list
}

function readEnum<T extends string>(r: ByteReader, list: readonly T[], what: string): T {
  const code = r.u8(what)
  const value = list[code]
  if (value === undefined)
    throw new DecodeError('bad-enum', `unknown ${what} ${code}`, { offset: r.offset })
  return value
}

function readDetail(r: ByteReader, maxLength: number): string {
  const detail = r.string(maxLength * 3, 'detail')
  if (detail.length > maxLength) {
    throw new DecodeError('over-limit', 'detail is too long', { length: detail.length })
  }
  return detail
}

function readReplicaSet(r: ByteReader): PeerId[] {
  const count = r.varint('replica set size')
  if (count === 0 || count > MAX_REPLICA_SET_SIZE || count * 2 > r.remaining) {
    throw new DecodeError('over-limit', `replica set of ${count}`, { offset: r.offset })
  }
  const set: PeerId[] = []
  for (let i = 0; i < count; i++) {
    const text = r.string(MAX_PEER_BYTES, 'replica')
    try {
      set.push(peerId(text))
    } catch {
      throw new DecodeError('bad-id', 'replica is not a valid peer id', { offset: r.offset })
    }
  }
  if (new Set(set).size !== set.length) inconsistent('replica set repeats a peer')
  return set
}

/** Reads the body after the channel id; throws DecodeError. */
export function decodeSessionBody(
  r: ByteReader,
  kind: SessionFrameKind,
  channelId: ChannelId,
  readEntries: ReadEntries,
): SessionWireFrame {
  switch (kind) {
    case 'sync-open':
      return {
        kind,
        message: { channelId, sessionId: r.u64('sessionId'), head: readTreeHead(r, 'head') },
      }
    case 'sync-head': {
      const sessionId = r.u64('sessionId')
      const head = readTreeHead(r, 'head')
      const prefix = readTreeHead(r, 'prefix')
      if (prefix.size > head.size) inconsistent('prefix exceeds the head', { prefix: prefix.size })
      const consistency = readHashes(r, 'consistency proof')
      return { kind, message: { channelId, sessionId, head, prefix, consistency } }
    }
    case 'sync-fetch': {
      const sessionId = r.u64('sessionId')
      const requestSeq = r.varint('requestSeq')
      const fromSeq = r.varint('fromSeq') as Seq
      const treeSize = r.varint('treeSize')
      const maxEntries = r.varint('maxEntries')
      const maxBytes = r.varint('maxBytes')
      if (fromSeq >= treeSize) inconsistent('fetch starts past its tree', { fromSeq, treeSize })
      if (
        maxEntries < 1 ||
        maxEntries > MAX_ENTRIES_PER_FRAME ||
        maxBytes < 1 ||
        maxBytes > MAX_FRAME_BYTES
      ) {
        throw new DecodeError('over-limit', 'fetch caps out of range', { maxEntries, maxBytes })
      }
      return {
        kind,
        message: { channelId, sessionId, requestSeq, fromSeq, treeSize, maxEntries, maxBytes },
      }
    }
    case 'sync-chunk': {
      const sessionId = r.u64('sessionId')
      const requestSeq = r.varint('requestSeq')
      const firstSeq = r.varint('firstSeq') as Seq
      const treeSize = r.varint('treeSize')
      const proof = readHashes(r, 'range proof')
      const entries = readEntries(r, channelId, firstSeq)
      if (entries.length === 0) inconsistent('a chunk carries no entries')
      if (firstSeq + entries.length > treeSize) {
        inconsistent('chunk runs past its tree', { firstSeq, count: entries.length, treeSize })
      }
      return {
        kind,
        message: { channelId, sessionId, requestSeq, firstSeq, treeSize, proof, entries },
      }
    }
    case 'sync-close': {
      const sessionId = r.u64('sessionId')
      const reason = readEnum(r, SYNC_CLOSE_REASONS, 'close reason')
      const detail = readDetail(r, SYNC_CLOSE_DETAIL_MAX_LENGTH)
      return { kind, message: { channelId, sessionId, reason, detail } }
    }
    case 'epoch-propose':
    case 'epoch-commit': {
      const rotationId = r.u64('rotationId')
      const epoch = r.varint('epoch')
      const replicaSet = readReplicaSet(r)
      return kind === 'epoch-propose'
        ? { kind, message: { channelId, rotationId, epoch, replicaSet } }
        : { kind, message: { channelId, rotationId, epoch, replicaSet } }
    }
    case 'epoch-confirm':
      return {
        kind,
        message: { channelId, rotationId: r.u64('rotationId'), epoch: r.varint('epoch') },
      }
    case 'epoch-abort': {
      const rotationId = r.u64('rotationId')
      const epoch = r.varint('epoch')
      const reason = readEnum(r, EPOCH_ABORT_REASONS, 'abort reason')
      const detail = readDetail(r, EPOCH_ABORT_DETAIL_MAX_LENGTH)
      return { kind, message: { channelId, rotationId, epoch, reason, detail } }
    }
  }
}
