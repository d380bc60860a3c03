/**
 * Runs packed from entries: `packEntries` from Entry objects (checked),
 * `packDrafts` from a writer's drafts as the leader seals them, each hash
 * computed on the way. The layout is entry-run.ts's.
 */
import { equals } from 'uint8arrays/equals'
import { describeValue, InvalidArgumentError } from '../errors.js'
import type { ChainTail, Entry, EntryDraft } from './entry.js'
import { groupProofDepth, HASH_BYTES, SIGNATURE_BYTES } from './entry.js'
import { EntryRun } from './entry-run.js'
import { type ChannelId, isSeqNumber, type PeerId, type Seq } from './ids.js'
import {
  MAX_RUN_PAYLOAD_BYTES,
  RUN_FLAG_GROUPED,
  RUN_FLAG_SIGNED,
  varintLength,
  writeVarint,
} from './run-bytes.js'

/**
 * Packs entries (one channel, dense seqs, chained) into a run; throws
 * InvalidArgumentError for entries that are not such a run.
 */
export function packEntries(
  channel: ChannelId,
  entries: readonly Entry[],
  firstSeq?: Seq,
): EntryRun {
  const first = entries[0]
  const start = (firstSeq ?? first?.seq ?? 0) as Seq
  const bad = (index: number, message: string, value: unknown): never => {
    throw new InvalidArgumentError(`cannot pack entry ${index}: ${message}`, {
      details: { channel, index, value: describeValue(value) },
    })
  }
  let previous: Entry | undefined
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as Entry
    if (e.channel !== channel) bad(i, 'belongs to another channel', e.channel)
    if (e.seq !== start + i) bad(i, `has seq ${e.seq}, expected ${start + i}`, e.seq)
    if (!isSeqNumber(e.authorSeq)) bad(i, 'authorSeq must be a safe integer', e.authorSeq)
    if (e.payload.byteLength > MAX_RUN_PAYLOAD_BYTES) bad(i, 'payload is too large', e.payload)
    if (e.hash.byteLength !== HASH_BYTES) bad(i, 'hash must be 32 bytes', e.hash)
    if (e.signature !== undefined && e.signature.byteLength !== SIGNATURE_BYTES)
      bad(i, 'signature must be 64 bytes', e.signature)
    if (e.groupProof !== undefined) {
      if (e.signature === undefined) bad(i, 'a group proof needs a signature', e.groupProof)
      if (groupProofDepth(e.groupProof.byteLength) === undefined)
        bad(i, 'group proof has no valid length', e.groupProof)
    }
    if (previous !== undefined && !equals(e.prevHash, previous.hash))
      bad(i, 'does not chain onto the entry before it', e.seq)
    previous = e
  }
  const prevHash = first === undefined ? new Uint8Array(HASH_BYTES) : first.prevHash
  return pack(channel, start, prevHash, entries, (i) => (entries[i] as Entry).hash)
}

/**
 * Drafts packed onto `tail` as a new run: seqs from `tail.nextSeq`, each
 * hash from `hashOf` (the chain's preimage is entry-chain.ts's to know),
 * written into the run's bytes as it goes. The leader's commit path: no
 * Entry object is made.
 */
export function packDrafts(
  channel: ChannelId,
  tail: ChainTail,
  drafts: readonly EntryDraft[],
  hashOf: (seq: number, draft: EntryDraft, prevHash: Uint8Array) => Uint8Array,
): EntryRun {
  let prevHash = tail.lastHash
  return pack(channel, tail.nextSeq, tail.lastHash, drafts, (i) => {
    prevHash = hashOf(tail.nextSeq + i, drafts[i] as EntryDraft, prevHash)
    return prevHash
  })
}

/**
 * The run of `items` from `firstSeq` onto `prevHash`: author table in order
 * of first use, each entry written with the hash `hashAt(i)` gives (asked
 * once per entry, in order). The caller has checked the items.
 */
function pack(
  channel: ChannelId,
  firstSeq: Seq,
  prevHash: Uint8Array,
  items: readonly EntryDraft[],
  hashAt: (index: number) => Uint8Array,
): EntryRun {
  const authors = new Map<PeerId, number>()
  let size = 0
  for (const item of items) {
    let index = authors.get(item.author)
    if (index === undefined) {
      index = authors.size
      authors.set(item.author, index)
    }
    const proof = item.signature === undefined ? undefined : item.groupProof
    size +=
      varintLength(index) +
      varintLength(item.authorSeq) +
      1 +
      (proof === undefined ? 0 : 1 + proof.byteLength) +
      varintLength(item.payload.byteLength) +
      item.payload.byteLength +
      HASH_BYTES +
      (item.signature === undefined ? 0 : SIGNATURE_BYTES)
  }
  const data = new Uint8Array(size)
  const starts = new Uint32Array(items.length + 1)
  let offset = 0
  let payloadBytes = 0
  let signedCount = 0
  let proofBytes = 0
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as EntryDraft
    const proof = item.signature === undefined ? undefined : item.groupProof
    starts[i] = offset
    offset = writeVarint(data, offset, authors.get(item.author) as number)
    offset = writeVarint(data, offset, item.authorSeq)
    if (item.signature === undefined) data[offset++] = 0
    else if (proof === undefined) data[offset++] = RUN_FLAG_SIGNED
    else {
      data[offset++] = RUN_FLAG_SIGNED | RUN_FLAG_GROUPED
      data[offset++] = groupProofDepth(proof.byteLength) as number
    }
    offset = writeVarint(data, offset, item.payload.byteLength)
    data.set(item.payload, offset)
    offset += item.payload.byteLength
    data.set(hashAt(i), offset)
    offset += HASH_BYTES
    if (item.signature !== undefined) {
      data.set(item.signature, offset)
      offset += SIGNATURE_BYTES
      signedCount++
    }
    if (proof !== undefined) {
      data.set(proof, offset)
      offset += proof.byteLength
      proofBytes += proof.byteLength
    }
    payloadBytes += item.payload.byteLength
  }
  starts[items.length] = offset
  return EntryRun.assemble(
    { channel, firstSeq, prevHash, authors: [...authors.keys()] },
    data,
    starts,
    payloadBytes,
    signedCount,
    proofBytes,
  )
}
