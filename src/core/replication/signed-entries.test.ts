/**
 * Signed entries in the replication runtime: the leader signs its own
 * writes where they become drafts, and a replica verifies the author's
 * signature (besides the hash chain) before a chunk reaches its store.
 */
import { describe, expect, it } from 'vitest'
import {
  checkSignatures,
  type EntrySignaturePolicy,
  signDrafts,
  verifyDraft,
} from '../crypto/entry-signing.js'
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { testAuthor } from '../crypto/test-authors.js'
import { InvalidArgumentError } from '../errors.js'
import { type Entry, type EntryDraft, GENESIS_HASH } from '../log/entry.js'
import { sealEntries } from '../log/entry-chain.js'
import type { Seq } from '../log/ids.js'
import { ForgedEntryError } from '../log/log-errors.js'
import { appendLocal } from './local-append.js'
import { onInbound } from './on-inbound.js'
import {
  CHANNEL,
  contextFor,
  type Kit,
  makeKit,
  N10,
  N20,
  promote,
  verifyingReplica,
  writerFor,
} from './replication-test-kit.js'
import { genuineWrites, signOwnWrites } from './write-signatures.js'

const alice = testAuthor(11)
const policy = (): EntrySignaturePolicy => ({
  verifier: new NobleEd25519Verifier(),
  required: true,
})

describe('the leader signs its own writes', () => {
  it('appends entries that carry its signature, verifiable from its peer id alone', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, {
      self: alice.author,
      replicaSet: [alice.author, N20],
      heartbeatMs: 100,
      signer: alice.signer,
    })
    const payloads = ['a', 'b', 'c'].map((t) => new TextEncoder().encode(t))
    await appendLocal(ctx, payloads)
    const stored = await kit.store.read(CHANNEL, 0 as never)
    expect(stored).toHaveLength(3)
    for (const entry of stored) expect(entry.signature?.byteLength).toBe(64)
    await checkSignatures(policy(), kit.hasher, CHANNEL, stored)
  })

  it('leaves its writes unsigned without a signer', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, {
      self: alice.author,
      replicaSet: [alice.author],
      heartbeatMs: 100,
    })
    await appendLocal(ctx, [Uint8Array.of(1)])
    const [entry] = await kit.store.read(CHANNEL, 0 as never)
    expect(entry?.signature).toBeUndefined()
  })

  it("keeps a proposed draft's signature when it assigns the seq", async () => {
    const kit = await makeKit({ tail: 0 })
    const [draft] = await signDrafts(alice.signer, kit.hasher, CHANNEL, [
      { author: alice.author, authorSeq: 9, payload: Uint8Array.of(7) },
    ])
    const sealed = sealEntries(kit.hasher, CHANNEL, kit.store.state(CHANNEL), [draft as never])
    expect(sealed[0]?.signature).toEqual(draft?.signature)
    await checkSignatures(policy(), kit.hasher, CHANNEL, sealed)
  })

  it('refuses a signer that signs as another peer', async () => {
    const kit = await makeKit({ tail: 0 })
    expect(() =>
      contextFor(kit, { self: N20, replicaSet: [N20], heartbeatMs: 100, signer: alice.signer }),
    ).toThrow(InvalidArgumentError)
  })
})

const mallory = testAuthor(12)

/** Alice's writes 0..count-1, signed by `signer` (hers unless forged), sealed from genesis. */
async function signedLog(kit: Kit, count: number, signer = alice.signer): Promise<Entry[]> {
  const drafts = Array.from({ length: count }, (_, i) => ({
    author: signer.author,
    authorSeq: i,
    payload: new TextEncoder().encode(`write ${i}`),
  }))
  const signed = (await signDrafts(signer, kit.hasher, CHANNEL, drafts)).map((d) => ({
    ...d,
    author: alice.author,
  }))
  return sealEntries(kit.hasher, CHANNEL, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }, signed)
}

describe('a replica verifies authors and the hash chain before it persists a chunk', () => {
  it('applies a chunk of genuinely signed entries', async () => {
    const { kit, ctx, deliver } = await verifyingReplica()
    await deliver(await signedLog(kit, 4))
    expect(kit.store.state(CHANNEL).nextSeq).toBe(4)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(0)
  })

  it('forged signature rejected', async () => {
    const { kit, ctx, deliver } = await verifyingReplica()
    // Mallory writes in Alice's name: hashes and chain are perfect, the signature is hers.
    const forged = await signedLog(kit, 4, mallory.signer)
    await deliver(forged)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(1)
    expect(ctx.drops.snapshot()['forged-entry']).toBe(1)
  })

  it('tampered payload (hash mismatch) rejected', async () => {
    const { kit, ctx, deliver } = await verifyingReplica()
    const log = await signedLog(kit, 4)
    log[2] = { ...(log[2] as Entry), payload: new TextEncoder().encode('write 9') }
    await deliver(log)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    expect(ctx.metrics.get('hashMismatchesTotal')).toBe(1)
    expect(ctx.drops.snapshot()['invalid-entries']).toBe(1)
  })

  it('rejects a tampered payload re-hashed and re-chained by the relay: the signature catches it', async () => {
    const { kit, ctx, deliver } = await verifyingReplica()
    const log = await signedLog(kit, 4)
    const altered = log.map((e, i) =>
      i === 1 ? { ...e, payload: new TextEncoder().encode('write 9') } : e,
    )
    const resealed = sealEntries(
      kit.hasher,
      CHANNEL,
      { nextSeq: 0 as Seq, lastHash: GENESIS_HASH },
      altered,
    )
    await deliver(resealed)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(1)
  })

  it('rejects entries whose signature was stripped when signatures are required', async () => {
    const { kit, ctx, deliver } = await verifyingReplica()
    const stripped = sealEntries(
      kit.hasher,
      CHANNEL,
      { nextSeq: 0 as Seq, lastHash: GENESIS_HASH },
      (await signedLog(kit, 2)).map(({ author, authorSeq, payload }) => ({
        author,
        authorSeq,
        payload,
      })),
    )
    await deliver(stripped)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(1)
  })

  it('takes unsigned entries where signatures are not required, but never a bad signature', async () => {
    const { kit, ctx, deliver } = await verifyingReplica(false)
    await deliver(writerFor(kit, N20).next(2))
    expect(kit.store.state(CHANNEL).nextSeq).toBe(2)
    const forged = (await signedLog(kit, 4, mallory.signer)).slice(2)
    // Sealed from genesis, so re-seal the forged tail onto our log to isolate the signature.
    const tail = kit.store.state(CHANNEL)
    await deliver(sealEntries(kit.hasher, CHANNEL, tail, forged), 2)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(2)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(1)
  })

  it('never cuts its log for a forged chunk that diverges from it', async () => {
    const { kit, ctx, deliver } = await verifyingReplica()
    const genuine = await signedLog(kit, 5)
    await deliver(genuine)
    const before = await kit.store.read(CHANNEL, 0 as Seq)
    // A chunk that agrees up to seq 2 and then replaces 3.. with forged writes.
    const forgedTail = (await signedLog(kit, 6, mallory.signer)).slice(3)
    const rival = sealEntries(
      kit.hasher,
      CHANNEL,
      {
        nextSeq: 3 as Seq,
        lastHash: (genuine[2] as Entry).hash,
      },
      forgedTail,
    )
    await deliver([...genuine.slice(0, 3), ...rival])
    expect((await kit.store.read(CHANNEL, 0 as Seq)).map((e) => e.hash)).toEqual(
      before.map((e) => e.hash),
    )
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(1)
    expect(ctx.metrics.get('divergentEntriesCutTotal')).toBe(0)
  })
})

describe('a leader checks drafts proposed by others before it commits them', () => {
  it('verifyDraft takes a genuine draft and rejects a forgery with ForgedEntryError', async () => {
    const kit = await makeKit({ tail: 0 })
    const [genuine] = await signDrafts(alice.signer, kit.hasher, CHANNEL, [
      { author: alice.author, authorSeq: 0, payload: Uint8Array.of(1) },
    ])
    await verifyDraft(policy(), kit.hasher, CHANNEL, genuine as EntryDraft)
    const forged = { ...(genuine as EntryDraft), payload: Uint8Array.of(2) }
    await expect(verifyDraft(policy(), kit.hasher, CHANNEL, forged)).rejects.toBeInstanceOf(
      ForgedEntryError,
    )
  })

  it('a forged write in a Propose frame is dropped and counted; the genuine ones commit', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, {
      self: N20,
      replicaSet: [N10, N20],
      heartbeatMs: 100,
      signatures: policy(),
    })
    const genuine = await signDrafts(alice.signer, kit.hasher, CHANNEL, [
      { author: alice.author, authorSeq: 0, payload: Uint8Array.of(1) },
      { author: alice.author, authorSeq: 1, payload: Uint8Array.of(2) },
    ])
    // Mallory writes in Bob's name.
    const bob = testAuthor(13)
    const [forged] = await signDrafts(mallory.signer, kit.hasher, CHANNEL, [
      { author: mallory.author, authorSeq: 0, payload: Uint8Array.of(3) },
    ])
    const entries = [genuine[0], { ...(forged as EntryDraft), author: bob.author }, genuine[1]]
    // N10 relays the three writes to its leader.
    await onInbound(ctx, {
      kind: 'propose',
      from: N10,
      message: { channelId: CHANNEL, entries: entries as EntryDraft[] },
    })
    const log = await kit.store.read(CHANNEL, 0 as Seq)
    expect(log.map((e) => [e.author, e.authorSeq])).toEqual([
      [alice.author, 0],
      [alice.author, 1],
    ])
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(1)
    expect(ctx.metrics.get('proposedWritesCommittedTotal')).toBe(2)
  })
})

describe('a forged chunk past our tail does not make a replica skip', () => {
  it('refuses it before the skip-ahead, and takes the genuine one after', async () => {
    const { kit, ctx, deliver } = await verifyingReplica()
    const genuine = await signedLog(kit, 6)
    const forged = await signedLog(kit, 6, mallory.signer)
    // Both start at seq 3, past our empty log: a trim, or a lie.
    await deliver(forged.slice(3), 3)
    expect(kit.store.state(CHANNEL)).toMatchObject({ firstSeq: 0, nextSeq: 0 })
    expect(ctx.metrics.get('skipAheadTotal')).toBe(0)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(1)
    await deliver(genuine.slice(3), 3)
    expect(kit.store.state(CHANNEL)).toMatchObject({ firstSeq: 3, nextSeq: 6 })
    expect(ctx.metrics.get('skipAheadTotal')).toBe(1)
  })
})

describe('a leader refuses proposed writes that are not signed by their authors', () => {
  async function leaderCtx(signatures?: EntrySignaturePolicy) {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, {
      self: N20,
      replicaSet: [N20, alice.author],
      heartbeatMs: 100,
      ...(signatures === undefined ? {} : { signatures }),
    })
    return { kit, ctx }
  }
  const proposal = async (kit: Kit, signer = alice.signer) =>
    signDrafts(
      signer,
      kit.hasher,
      CHANNEL,
      [0, 1].map((i) => ({ author: signer.author, authorSeq: i, payload: Uint8Array.of(i) })),
    )

  it('takes a genuine proposal', async () => {
    const { kit, ctx } = await leaderCtx(policy())
    const writes = await proposal(kit)
    expect(await genuineWrites(ctx, writes)).toEqual(writes)
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(0)
  })

  it('drops and counts the forged write of a proposal, keeping the genuine one', async () => {
    const { kit, ctx } = await leaderCtx(policy())
    const writes = [...(await proposal(kit))]
    writes[1] = { ...(writes[1] as EntryDraft), payload: Uint8Array.of(7) }
    expect(await genuineWrites(ctx, writes)).toEqual([writes[0]])
    expect(ctx.metrics.get('forgedEntriesTotal')).toBe(1)
    expect(ctx.drops.snapshot()['forged-entry']).toBe(1)
  })

  it('checks nothing without a signature policy', async () => {
    const { kit, ctx } = await leaderCtx()
    const forged = (await proposal(kit, mallory.signer)).map((d) => ({
      ...d,
      author: alice.author,
    }))
    expect(await genuineWrites(ctx, forged)).toEqual(forged)
  })

  it('signs own writes only with a signer', async () => {
    const { ctx } = await leaderCtx()
    const draft = { author: N20, authorSeq: 0, payload: Uint8Array.of(1) }
    expect(await signOwnWrites(ctx, [draft])).toEqual([draft])
  })
})
