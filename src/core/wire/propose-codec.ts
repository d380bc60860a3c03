/**
 * The body of a Propose frame (kind 5): u8-free count | author table |
 * per write: author index, authorSeq, flags, payload blob, signature when
 * flagged, and a group proof (u8 depth, 2 + 32 × depth bytes) when flagged
 * as grouped. Like a SyncResponse's entries, minus seqs and hashes (the leader
 * assigns those). The decoder refuses an empty frame, more than
 * PROPOSE_MAX_ENTRIES writes or PROPOSE_MAX_BYTES of payload (unless one
 * write alone), and a key repeated within the frame.
 */
import { describeValue, InvalidArgumentError } from '../errors.js'
import {
  GROUP_PROOF_MAX_DEPTH,
  groupProofByteLength,
  groupProofDepth,
  SIGNATURE_BYTES,
} from '../log/entry.js'
import { isSeqNumber, MAX_PEER_ID_LENGTH, type PeerId, peerId } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'
import {
  PROPOSE_MAX_BYTES,
  PROPOSE_MAX_ENTRIES,
  type Propose,
} from '../replication/propose-message.js'
import type { ByteReader } from './byte-reader.js'
import type { ByteWriter } from './byte-writer.js'
import { DecodeError } from './decode-error.js'
import { MAX_PAYLOAD_BYTES } from './wire-limits.js'

const FLAG_SIGNED = 1
const FLAG_GROUPED = 2
const MAX_PEER_BYTES = MAX_PEER_ID_LENGTH * 3
// author index, authorSeq, flags, payload length: a byte each at least.
const MIN_WRITE_BYTES = 4

function invalid(message: string, value: unknown): never {
  throw new InvalidArgumentError(`cannot encode propose: ${message}`, {
    details: { value: describeValue(value) },
  })
}

export function writeProposeBody(w: ByteWriter, message: Propose): void {
  const { entries } = message
  if (entries.length === 0 || entries.length > PROPOSE_MAX_ENTRIES)
    invalid(`a propose carries 1 to ${PROPOSE_MAX_ENTRIES} writes`, entries.length)
  const bytes = entries.reduce((n, e) => n + e.payload.byteLength, 0)
  if (entries.length > 1 && bytes > PROPOSE_MAX_BYTES)
    invalid(`writes of ${bytes} payload bytes do not fit one propose`, bytes)
  const authors = new Map<string, number>()
  const keys = new Set<string>()
  for (const e of entries) {
    if (!authors.has(e.author)) authors.set(peerId(e.author), authors.size)
    const key = `${e.author}\n${e.authorSeq}`
    if (keys.has(key)) invalid('a write appears twice', key)
    keys.add(key)
  }
  w.varint(entries.length)
  w.varint(authors.size)
  for (const author of authors.keys()) w.string(author)
  for (const e of entries) {
    if (!isSeqNumber(e.authorSeq)) invalid('authorSeq must be a non-negative safe integer', e)
    if (e.payload.byteLength > MAX_PAYLOAD_BYTES) invalid('payload is too large', e.payload)
    w.varint(authors.get(e.author) as number)
    w.varint(e.authorSeq)
    const proof = e.signature === undefined ? undefined : e.groupProof
    w.u8(
      e.signature === undefined
        ? 0
        : proof === undefined
          ? FLAG_SIGNED
          : FLAG_SIGNED | FLAG_GROUPED,
    )
    w.blob(e.payload)
    if (e.signature !== undefined) {
      if (e.signature.byteLength !== SIGNATURE_BYTES)
        invalid('signature must be 64 bytes', e.signature)
      w.bytes(e.signature)
    }
    if (proof !== undefined) {
      const depth = groupProofDepth(proof.byteLength)
      if (depth === undefined) invalid('group proof has no valid length', proof)
      w.u8(depth)
      w.bytes(proof)
    }
  }
}

function readGroupProof(r: ByteReader): Uint8Array {
  const depth = r.u8('group proof depth')
  if (depth < 1 || depth > GROUP_PROOF_MAX_DEPTH) {
    throw new DecodeError('over-limit', `a group proof ${depth} deep`, { offset: r.offset })
  }
  return r.bytes(groupProofByteLength(depth), 'group proof')
}

export function readProposeBody(r: ByteReader): OutboxEntry[] {
  const count = r.varint('write count')
  if (count === 0) throw new DecodeError('inconsistent', 'a propose without writes')
  if (count > PROPOSE_MAX_ENTRIES || count * MIN_WRITE_BYTES > r.remaining) {
    throw new DecodeError('over-limit', `${count} writes cannot fit a propose`, {
      offset: r.offset,
    })
  }
  const authorCount = r.varint('author count')
  if (authorCount === 0 || authorCount > count) {
    throw new DecodeError('over-limit', `author table of ${authorCount}`, { offset: r.offset })
  }
  const authors: PeerId[] = []
  for (let i = 0; i < authorCount; i++) {
    const text = r.string(MAX_PEER_BYTES, 'author')
    try {
      authors.push(peerId(text))
    } catch {
      throw new DecodeError('bad-id', 'author is not a valid id', { offset: r.offset })
    }
  }
  const entries: OutboxEntry[] = []
  const keys = new Set<string>()
  let bytes = 0
  for (let i = 0; i < count; i++) {
    const author = authors[r.varint('author index')]
    if (author === undefined)
      throw new DecodeError('bad-enum', 'author index out of range', { offset: r.offset })
    const authorSeq = r.varint('authorSeq')
    const flags = r.u8('flags')
    if ((flags & ~(FLAG_SIGNED | FLAG_GROUPED)) !== 0 || flags === FLAG_GROUPED) {
      throw new DecodeError('bad-enum', `unknown write flags ${flags}`, { offset: r.offset })
    }
    const payload = r.blob(MAX_PAYLOAD_BYTES, 'payload')
    bytes += payload.byteLength
    if (count > 1 && bytes > PROPOSE_MAX_BYTES) {
      throw new DecodeError('over-limit', 'propose payloads are too large', { bytes })
    }
    const key = `${author}\n${authorSeq}`
    if (keys.has(key)) {
      throw new DecodeError('inconsistent', 'a write appears twice in one propose', { authorSeq })
    }
    keys.add(key)
    entries.push(
      (flags & FLAG_SIGNED) === 0
        ? { author, authorSeq, payload }
        : (flags & FLAG_GROUPED) === 0
          ? { author, authorSeq, payload, signature: r.bytes(SIGNATURE_BYTES, 'signature') }
          : {
              author,
              authorSeq,
              payload,
              signature: r.bytes(SIGNATURE_BYTES, 'signature'),
              groupProof: readGroupProof(r),
            },
    )
  }
  return entries
}
