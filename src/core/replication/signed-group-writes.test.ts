/**
 * Writes signed in groups (crypto/signed-groups.ts) through the runtime:
 * a leader signs an append's writes a group at a time, a leader handed a
 * proposal drops a forged group whole, and a replica takes a chunk that
 * cuts groups anywhere.
 */
import { describe, expect, it } from 'vitest'
import { checkSignatures, type EntrySignaturePolicy, signDrafts } from '../crypto/entry-signing.js'
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { readProof } from '../crypto/signed-groups.js'
import { testAuthor } from '../crypto/test-authors.js'
import { type EntryDraft, GENESIS_HASH } from '../log/entry.js'
import { sealEntries } from '../log/entry-chain.js'
import type { Seq } from '../log/ids.js'
import { appendLocal } from './local-append.js'
import {
  CHANNEL,
  contextFor,
  makeKit,
  N20,
  promote,
  verifyingReplica,
} from './replication-test-kit.js'
import { genuineWrites } from './write-signatures.js'

const alice = testAuthor(21)
const bob = testAuthor(22)
const mallory = testAuthor(23)
const policy = (): EntrySignaturePolicy => ({
  verifier: new NobleEd25519Verifier(),
  required: true,
})
const payloads = (count: number) =>
  Array.from({ length: count }, (_, i) => new TextEncoder().encode(`write ${i}`))

async function leader(groupSize?: number) {
  const kit = await makeKit({ tail: 0 })
  await promote(kit.coordinator, 'leader')
  const signer =
    groupSize === undefined
      ? alice.signer
      : {
          author: alice.author,
          groupSize,
          sign: (m: readonly Uint8Array[]) => alice.signer.sign(m),
        }
  const ctx = contextFor(kit, {
    self: alice.author,
    replicaSet: [alice.author, N20],
    heartbeatMs: 100,
    signer,
    signatures: policy(),
  })
  return { kit, ctx }
}

describe('a leader signs an append a group at a time', () => {
  it('signs 70 writes with three signatures, every write verifiable alone', async () => {
    const { kit, ctx } = await leader()
    await appendLocal(ctx, payloads(70))
    const stored = await kit.store.read(CHANNEL, 0 as Seq)
    expect(new Set(stored.map((e) => e.signature?.join())).size).toBe(3)
    expect(stored.map((e) => readProof(e.groupProof as Uint8Array)?.size)).toEqual([
      ...Array<number>(64).fill(32),
      ...Array<number>(6).fill(6),
    ])
    for (const entry of stored) await checkSignatures(policy(), kit.hasher, CHANNEL, [entry])
  })

  it("signs each write alone under its signer's group size of 1", async () => {
    const { kit, ctx } = await leader(1)
    await appendLocal(ctx, payloads(5))
    const stored = await kit.store.read(CHANNEL, 0 as Seq)
    expect(new Set(stored.map((e) => e.signature?.join())).size).toBe(5)
    expect(stored.every((e) => e.groupProof === undefined)).toBe(true)
  })
})

describe('a leader handed a proposal drops a forged group whole', () => {
  it('drops and counts each write of the group, and commits the genuine ones', async () => {
    const { ctx, kit } = await leader()
    const genuine = await signDrafts(
      bob.signer,
      kit.hasher,
      CHANNEL,
      [0, 1, 2].map((i) => ({ author: bob.author, authorSeq: i, payload: Uint8Array.of(i) })),
    )
    // Mallory signs a group of four in Bob's name.
    const forged = (
      await signDrafts(
        mallory.signer,
        kit.hasher,
        CHANNEL,
        [3, 4, 5, 6].map((i) => ({
          author: mallory.author,
          authorSeq: i,
          payload: Uint8Array.of(i),
        })),
      )
    ).map((d): EntryDraft => ({ ...d, author: bob.author }))
    expect(await genuineWrites(ctx, [...genuine, ...forged])).toEqual(genuine)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(4)
    expect(ctx.drops.snapshot()['forged-entry']).toBe(4)
  })
})

describe('a replica takes chunks that cut groups anywhere', () => {
  it('applies a log of groups delivered in chunks of 5', async () => {
    const { kit, ctx, deliver } = await verifyingReplica(true, 40)
    const drafts = await signDrafts(
      alice.signer,
      kit.hasher,
      CHANNEL,
      payloads(40).map((payload, i) => ({ author: alice.author, authorSeq: i, payload })),
      { groupSize: 8 },
    )
    const log = sealEntries(
      kit.hasher,
      CHANNEL,
      { nextSeq: 0 as Seq, lastHash: GENESIS_HASH },
      drafts,
    )
    // Chunks of 5 writes: every one but the first and last cuts a group of 8.
    for (let from = 0; from < log.length; from += 5) await deliver(log.slice(from, from + 5), from)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(40)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(0)
  })
})
