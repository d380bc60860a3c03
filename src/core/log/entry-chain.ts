/**
 * The hash chain: how an entry's hash is computed (its preimage, version 1),
 * sealing drafts onto a tail, and verifying entries received from elsewhere.
 *
 * Preimage v1, all integers big-endian:
 *   u8 version=1 | prevHash[32] | u16 len, channel utf8 | u64 seq
 *   | u16 len, author utf8 | u64 authorSeq | u32 len, payload
 * The channel is inside the hash, so an entry cannot be replayed into
 * another channel.
 */
import { equals } from 'uint8arrays/equals'
import { describeValue, InvalidArgumentError } from '../errors.js'
import type { ChainTail, Entry, EntryDraft } from './entry.js'
import { authorProofOf, groupProofDepth, HASH_BYTES, SIGNATURE_BYTES } from './entry.js'
import type { EntryHasher } from './entry-hasher.js'
import type { EntryRun, RunFault, RunHeader } from './entry-run.js'
import { type ChannelId, isSeqNumber, type PeerId, type Seq } from './ids.js'
import { ChainBrokenError, HashMismatchError, SeqGapError } from './log-errors.js'
import { packDrafts } from './run-pack.js'
import { type Regroup, readWire } from './run-wire.js'

const PREIMAGE_VERSION = 1
const textEncoder = new TextEncoder()
// Channel and author ids repeat across entries: keep their UTF-8 bytes.
const utf8Cache = new Map<string, Uint8Array>()
const UTF8_CACHE_LIMIT = 4096
// Largest header: ids are at most 200/128 UTF-16 units, 3 UTF-8 bytes each.
const header = new Uint8Array(1 + HASH_BYTES + 2 + 600 + 8 + 2 + 384 + 8 + 4)
const headerView = new DataView(header.buffer)

function utf8(text: string): Uint8Array {
  let bytes = utf8Cache.get(text)
  if (bytes === undefined) {
    if (utf8Cache.size >= UTF8_CACHE_LIMIT) utf8Cache.clear()
    bytes = textEncoder.encode(text)
    utf8Cache.set(text, bytes)
  }
  return bytes
}

function writeU64(offset: number, value: number): number {
  headerView.setUint32(offset, Math.floor(value / 0x1_0000_0000))
  headerView.setUint32(offset + 4, value >>> 0)
  return offset + 8
}

export interface HashedFields {
  readonly channel: ChannelId
  readonly seq: Seq
  readonly author: PeerId
  readonly authorSeq: number
  readonly payload: Uint8Array
  readonly prevHash: Uint8Array
}

function hashParts(
  hasher: EntryHasher,
  channel: Uint8Array,
  seq: number,
  author: Uint8Array,
  authorSeq: number,
  payload: Uint8Array,
  prevHash: Uint8Array,
): Uint8Array {
  let offset = 0
  header[offset++] = PREIMAGE_VERSION
  header.set(prevHash, offset)
  offset += HASH_BYTES
  headerView.setUint16(offset, channel.byteLength)
  header.set(channel, offset + 2)
  offset = writeU64(offset + 2 + channel.byteLength, seq)
  headerView.setUint16(offset, author.byteLength)
  header.set(author, offset + 2)
  offset = writeU64(offset + 2 + author.byteLength, authorSeq)
  headerView.setUint32(offset, payload.byteLength)
  offset += 4
  return hasher.digest(header.subarray(0, offset), payload)
}

export function computeEntryHash(hasher: EntryHasher, fields: HashedFields): Uint8Array {
  return hashParts(
    hasher,
    utf8(fields.channel),
    fields.seq,
    utf8(fields.author),
    fields.authorSeq,
    fields.payload,
    fields.prevHash,
  )
}

function checkDraft(draft: EntryDraft, index: number): void {
  if (!isSeqNumber(draft.authorSeq)) {
    throw new InvalidArgumentError('authorSeq must be a non-negative safe integer', {
      details: { index, authorSeq: describeValue(draft.authorSeq) },
    })
  }
  if (!(draft.payload instanceof Uint8Array)) {
    throw new InvalidArgumentError('payload must be a Uint8Array', {
      details: { index, payload: describeValue(draft.payload) },
    })
  }
  if (draft.signature !== undefined && draft.signature.byteLength !== SIGNATURE_BYTES) {
    throw new InvalidArgumentError(`a signature must be ${SIGNATURE_BYTES} bytes`, {
      details: { index, signature: describeValue(draft.signature) },
    })
  }
  if (
    draft.groupProof !== undefined &&
    (draft.signature === undefined || groupProofDepth(draft.groupProof.byteLength) === undefined)
  ) {
    throw new InvalidArgumentError('a group proof needs a signature and a valid length', {
      details: { index, groupProof: describeValue(draft.groupProof) },
    })
  }
}

/** Assign seqs and hashes to drafts, chaining them onto `tail`. */
export function sealEntries(
  hasher: EntryHasher,
  channel: ChannelId,
  tail: ChainTail,
  drafts: readonly EntryDraft[],
): Entry[] {
  const entries: Entry[] = []
  let prevHash = tail.lastHash
  let next = tail.nextSeq as number
  for (const [index, draft] of drafts.entries()) {
    checkDraft(draft, index)
    const fields = {
      channel,
      seq: next as Seq,
      author: draft.author,
      authorSeq: draft.authorSeq,
      payload: draft.payload,
      prevHash,
    }
    const hash = computeEntryHash(hasher, fields)
    // The author's signature is kept as it came: the leader never re-signs.
    entries.push({ ...fields, hash, ...authorProofOf(draft) })
    prevHash = hash
    next += 1
  }
  return entries
}

/** As `sealEntries`, packed: the drafts sealed onto `tail` as one run, no Entry object made. */
export function sealRun(
  hasher: EntryHasher,
  channel: ChannelId,
  tail: ChainTail,
  drafts: readonly EntryDraft[],
): EntryRun {
  for (const [index, draft] of drafts.entries()) checkDraft(draft, index)
  const channelBytes = utf8(channel)
  return packDrafts(channel, tail, drafts, (seq, draft, prevHash) =>
    hashParts(
      hasher,
      channelBytes,
      seq,
      utf8(draft.author),
      draft.authorSeq,
      draft.payload,
      prevHash,
    ),
  )
}

/**
 * Check that `entries` are dense, chain onto `tail` (when given), and that each
 * hash is the hash of its entry. Throws the first violation found; returns
 * nothing, so callers cannot mistake a partial result for a verified one.
 */
export function verifyEntries(
  hasher: EntryHasher,
  entries: readonly Entry[],
  tail?: Partial<ChainTail>,
): void {
  let expectedSeq = tail?.nextSeq
  let expectedPrev = tail?.lastHash
  for (const entry of entries) {
    if (expectedSeq !== undefined && entry.seq !== expectedSeq) {
      throw new SeqGapError(`expected seq ${expectedSeq}, found ${entry.seq}`, {
        details: { channel: entry.channel, expected: expectedSeq, found: entry.seq },
      })
    }
    if (expectedPrev !== undefined && !equals(entry.prevHash, expectedPrev)) {
      throw new ChainBrokenError(`entry ${entry.seq} does not chain onto its predecessor`, {
        details: { channel: entry.channel, seq: entry.seq },
      })
    }
    if (!equals(computeEntryHash(hasher, entry), entry.hash)) {
      throw new HashMismatchError(`entry ${entry.seq} hash does not match its contents`, {
        details: { channel: entry.channel, seq: entry.seq, author: entry.author },
      })
    }
    expectedSeq = (entry.seq + 1) as Seq
    expectedPrev = entry.hash
  }
}

// Runs whose every hash `sealWireRun` computed here: nothing left to verify.
const hashedHere = new WeakSet<EntryRun>()

/**
 * A run off the wire (run-wire.ts: entries without their hashes),
 * chained onto `header.prevHash` with every hash computed here, and the
 * proofs of groups sent whole rebuilt by `regroup`. Malformed bytes go to
 * `fail`, which must throw.
 */
export function sealWireRun(
  hasher: EntryHasher,
  header: RunHeader,
  wire: Uint8Array,
  count: number,
  fail: RunFault,
  regroup?: Regroup,
): EntryRun {
  const channel = utf8(header.channel)
  const authors = header.authors.map(utf8)
  const run = readWire(
    header,
    wire,
    count,
    (seq, authorIndex, authorSeq, payload, prevHash) =>
      hashParts(
        hasher,
        channel,
        seq,
        authors[authorIndex] as Uint8Array,
        authorSeq,
        payload,
        prevHash,
      ),
    regroup,
    fail,
  )
  hashedHere.add(run)
  return run
}

/**
 * Checks that each entry of a run hashes to the hash it carries. A run is
 * dense and chained by construction, so that is all there is to check;
 * throws HashMismatchError for the first entry that does not. A run
 * `sealWireRun` made passes as it is: its hashes were computed here.
 */
export function verifyRun(hasher: EntryHasher, run: EntryRun): void {
  if (hashedHere.has(run)) return
  const channel = utf8(run.channel)
  const authors = run.authors.map(utf8)
  const data = run.data
  let prevHash = run.prevHash
  run.forEach((index, authorIndex, authorSeq, payloadStart, payloadEnd) => {
    const seq = run.firstSeq + index
    const hash = hashParts(
      hasher,
      channel,
      seq,
      authors[authorIndex] as Uint8Array,
      authorSeq,
      data.subarray(payloadStart, payloadEnd),
      prevHash,
    )
    for (let i = 0; i < HASH_BYTES; i++) {
      if (hash[i] !== data[payloadEnd + i]) {
        throw new HashMismatchError(`entry ${seq} hash does not match its contents`, {
          details: { channel: run.channel, seq, author: run.authors[authorIndex] },
        })
      }
    }
    prevHash = hash
  })
}
