/**
 * Runs of entries for the run tests (entry-run, run-wire): random writes
 * by a few authors, of any size, some signed (some of those in groups,
 * with a proof of some depth), sealed into a chain; and a
 * plain form of entries that tests compare field by field.
 */
import fc from 'fast-check'
import type { Entry } from './entry.js'
import { GENESIS_HASH, GROUP_PROOF_MAX_DEPTH, groupProofByteLength } from './entry.js'
import { sealEntries } from './entry-chain.js'
import type { EntryHasher } from './entry-hasher.js'
import { type ChannelId, peerId, type Seq } from './ids.js'

export interface TestWrite {
  readonly author: number
  readonly size: number
  readonly signed: boolean
  /** With `signed`: the depth of a group proof (none when 0 or absent). */
  readonly proofDepth?: number
}

/** 1–60 writes by up to four authors, payloads of 0–300 bytes, some signed. */
export const testWrites = fc.array(
  fc.record({
    author: fc.nat(3),
    size: fc.nat(300),
    signed: fc.boolean(),
    proofDepth: fc.nat(GROUP_PROOF_MAX_DEPTH),
  }),
  { minLength: 1, maxLength: 60 },
)

/** `list` sealed from `firstSeq` onto the genesis hash; each author's authorSeqs count up from 0. */
export function sealedWrites(
  hasher: EntryHasher,
  channel: ChannelId,
  list: readonly TestWrite[],
  firstSeq = 0,
): Entry[] {
  const seqs = new Map<number, number>()
  return sealEntries(
    hasher,
    channel,
    { nextSeq: firstSeq as Seq, lastHash: GENESIS_HASH },
    list.map((w, i) => {
      const authorSeq = seqs.get(w.author) ?? 0
      seqs.set(w.author, authorSeq + 1)
      const draft = {
        author: peerId(`author-${w.author}`),
        authorSeq,
        payload: new Uint8Array(w.size).fill(i & 0xff),
      }
      if (!w.signed) return draft
      const signature = new Uint8Array(64).fill(w.author)
      const depth = w.proofDepth ?? 0
      if (depth === 0) return { ...draft, signature }
      const groupProof = new Uint8Array(groupProofByteLength(depth)).fill(depth + i)
      return { ...draft, signature, groupProof }
    }),
  )
}

/** What tests compare: every field, bytes as arrays. */
export function plainEntries(entries: readonly Entry[]) {
  return entries.map((e) => ({
    ...e,
    payload: Array.from(e.payload),
    hash: Array.from(e.hash),
    prevHash: Array.from(e.prevHash),
    signature: e.signature === undefined ? undefined : Array.from(e.signature),
    groupProof: e.groupProof === undefined ? undefined : Array.from(e.groupProof),
  }))
}
