/**
 * Sync sessions with signed entries: a responder whose log is perfectly
 * hashed, chained and Merkle-proven, but holds writes its authors never
 * signed, gets nothing into the initiator's log and is marked.
 */
import { describe, expect, it } from 'vitest'
import { signDrafts } from '../../crypto/entry-signing.js'
import { NobleEd25519Verifier } from '../../crypto/noble-ed25519.js'
import { type TestAuthor, testAuthor } from '../../crypto/test-authors.js'
import { type Entry, GENESIS_HASH } from '../../log/entry.js'
import { sealEntries } from '../../log/entry-chain.js'
import type { EntryHasher } from '../../log/entry-hasher.js'
import { channelId, type PeerId, peerId, type Seq } from '../../log/ids.js'
import { fill, syncCluster } from '../../node/sync-cluster.js'
import { FakeResponder } from './fake-responder.js'

const CH = channelId('signed')
const [A, B, X] = ['honest-a', 'victim-b', 'liar-x'].map((p) => peerId(p)) as [
  PeerId,
  PeerId,
  PeerId,
]
const alice = testAuthor(21)
const mallory = testAuthor(22)
const SHARED = 10
const TOTAL = 40

/** Alice's writes [from, to), signed by `by` (Alice unless forged), sealed onto `tail`. */
async function writes(
  hasher: EntryHasher,
  from: number,
  to: number,
  tail: { nextSeq: Seq; lastHash: Uint8Array },
  by: TestAuthor = alice,
): Promise<Entry[]> {
  const drafts = Array.from({ length: to - from }, (_, i) => ({
    author: by.author,
    authorSeq: from + i,
    payload: Uint8Array.of(from + i, 0xab),
  }))
  const signed = await signDrafts(by.signer, hasher, CH, drafts)
  return sealEntries(
    hasher,
    CH,
    tail,
    signed.map((d) => ({ ...d, author: alice.author })),
  )
}

describe('a session checks authors before it appends a chunk', () => {
  it('rejects a chunk with a forged signature, keeps nothing of it, and catches up from an honest peer', async () => {
    const cluster = await syncCluster({
      peers: [A, B],
      options: () => ({
        protocolLimits: { maxChunkEntries: 8 },
        signatures: { verifier: new NobleEd25519Verifier(), required: true },
      }),
    })
    const genesis = { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }
    const truth = await writes(cluster.hasher, 0, TOTAL, genesis)
    const shared = truth.slice(0, SHARED)
    const last = shared[SHARED - 1] as Entry
    const forged = await writes(
      cluster.hasher,
      SHARED,
      TOTAL,
      { nextSeq: SHARED as Seq, lastHash: last.hash },
      mallory,
    )
    await fill([cluster.store(A)], CH, truth)
    await fill([cluster.store(B)], CH, shared)
    cluster.node(B).epochs.setCurrent(CH, { epoch: 0, replicaSet: [X, A, B] })
    new FakeResponder(X, cluster.net, cluster.hasher, [...shared, ...forged])
    const victim = cluster.node(B)

    const lied = await cluster.until(victim.requestSync(CH, X))
    expect(lied).toMatchObject({
      status: 'error',
      error: {
        code: 'ERR_SYNC_CHUNK_REJECTED',
        details: { reason: 'forged-entry (bad-signature)', seq: SHARED },
      },
    })
    expect(cluster.store(B).state(CH).nextSeq).toBe(SHARED)
    expect(victim.runner.stats().forgedEntries).toBe(1)

    const recovered = await cluster.until(victim.requestSync(CH))
    expect(recovered).toMatchObject({ status: 'ok', outcome: { peer: A, verdict: 'caught-up' } })
    const log = await cluster.store(B).read(CH, 0 as Seq)
    expect(log.map((e) => e.hash)).toEqual(truth.map((e) => e.hash))
    await cluster.stop()
  })
})
