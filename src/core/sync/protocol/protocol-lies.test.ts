import { describe, expect, it } from 'vitest'
import type { Entry } from '../../log/entry.js'
import { channelId, type PeerId, peerId, type Seq } from '../../log/ids.js'
import { fill, logWriter, type SyncCluster, syncCluster } from '../../node/sync-cluster.js'
import type { SyncWireFrame } from '../../wire/sync-frame-codec.js'
import { FakeResponder, type Lie } from './fake-responder.js'
import type { SyncChunk } from './sync-messages.js'

const CH = channelId('lies')
const OTHER = channelId('lies-elsewhere')
const [A, B, X] = ['honest-a', 'victim-b', 'liar-x'].map((p) => peerId(p)) as [
  PeerId,
  PeerId,
  PeerId,
]
const AUTHOR = peerId('author')
const SHARED = 50
const TOTAL = 200

const random32 = (seed: number) => new Uint8Array(32).map((_, i) => (i * 31 + seed) & 0xff)

function tamperPayload(chunk: SyncChunk, index: number): SyncWireFrame {
  const entries = chunk.entries.map((e, i) =>
    i === index ? { ...e, payload: Uint8Array.of(...e.payload.subarray(1), 0xee) } : e,
  )
  return { kind: 'sync-chunk', message: { ...chunk, entries } }
}

interface Scene {
  readonly cluster: SyncCluster
  readonly truth: readonly Entry[]
  readonly liar: FakeResponder
}

/** A and the liar know the true 200 entries (unless `liarLog` says otherwise); B holds the first 50. */
async function scene(
  lie: Lie,
  liarLog?: (truth: readonly Entry[], cluster: SyncCluster) => Entry[],
): Promise<Scene> {
  const cluster = await syncCluster({
    peers: [A, B],
    options: () => ({ protocolLimits: { maxChunkEntries: 32 } }),
  })
  const truth = logWriter(cluster.hasher, CH, AUTHOR).next(TOTAL, 24)
  await fill([cluster.store(A)], CH, truth)
  await fill([cluster.store(B)], CH, truth.slice(0, SHARED))
  cluster.node(B).epochs.setCurrent(CH, { epoch: 0, replicaSet: [X, A, B] })
  const liar = new FakeResponder(
    X,
    cluster.net,
    cluster.hasher,
    liarLog?.(truth, cluster) ?? [...truth],
    lie,
  )
  return { cluster, truth, liar }
}

const LIES: readonly (readonly [
  string,
  string,
  string,
  Lie,
  ((truth: readonly Entry[], cluster: SyncCluster) => Entry[])?,
])[] = [
  [
    'a head whose root its proof does not support',
    'ERR_SYNC_PROOF_REJECTED',
    'consistency proof does not verify',
    {
      head: (h) => ({ ...h, head: { ...h.head, root: random32(1) } }),
    },
  ],
  [
    'a truncated consistency proof',
    'ERR_SYNC_PROOF_REJECTED',
    'consistency proof does not verify',
    {
      head: (h) => ({ ...h, consistency: h.consistency.slice(0, -1) }),
    },
  ],
  [
    'a prefix root at a size we did not ask for',
    'ERR_SYNC_PROOF_REJECTED',
    'prefix of 49 entries, expected 50',
    {
      head: (h) => ({ ...h, prefix: { size: 49, root: h.prefix.root } }),
    },
  ],
  [
    'a head one entry longer than its log, chunks proven against the real one',
    'ERR_SYNC_CHUNK_REJECTED',
    'wrong-tree',
    {
      head: (h) => ({ ...h, head: { ...h.head, size: h.head.size + 1 } }),
      chunk: (c) => ({ kind: 'sync-chunk', message: { ...c, treeSize: c.treeSize - 1 } }),
    },
  ],
  [
    'a chunk whose payload was tampered with',
    'ERR_SYNC_CHUNK_REJECTED',
    'hash-mismatch',
    {
      chunk: (c) => tamperPayload(c, 5),
    },
  ],
  [
    'a chunk whose entry was re-hashed after tampering',
    'ERR_SYNC_CHUNK_REJECTED',
    'root-mismatch',
    {
      chunk: (c) => ({
        kind: 'sync-chunk',
        message: {
          ...c,
          // The chunk's last entry, so the run still chains on the wire.
          entries: c.entries.map((e, i) =>
            i === c.entries.length - 1 ? { ...e, hash: random32(3) } : e,
          ),
        },
      }),
    },
  ],
  [
    'a truncated range proof',
    'ERR_SYNC_CHUNK_REJECTED',
    'root-mismatch',
    {
      chunk: (c) => ({ kind: 'sync-chunk', message: { ...c, proof: c.proof.slice(0, -1) } }),
    },
  ],
  ['a chunk from another channel', 'ERR_SYNC_CHUNK_REJECTED', 'wrong-channel', {}],
  [
    'a chunk for another range',
    'ERR_SYNC_CHUNK_REJECTED',
    'wrong-range',
    {
      chunk: (c) => ({
        kind: 'sync-chunk',
        message: {
          ...c,
          firstSeq: (c.firstSeq + 1) as Seq,
          entries: c.entries.map((e) => ({ ...e, seq: (e.seq + 1) as Seq })),
        },
      }),
    },
  ],
  [
    'more entries than the fetch asked for',
    'ERR_SYNC_CHUNK_REJECTED',
    'over-limit',
    { ignoreCaps: 100 },
  ],
  [
    'entries that do not chain onto our log',
    'ERR_SYNC_CHUNK_REJECTED',
    'chain-broken',
    {},
    (truth, cluster) => {
      const forged = logWriter(cluster.hasher, CH, peerId('forger'), {
        nextSeq: SHARED as Seq,
        lastHash: random32(9),
      }).next(TOTAL - SHARED, 24)
      return [...truth.slice(0, SHARED), ...forged]
    },
  ],
]

describe('a lying peer never gets data into an honest log, and is marked and avoided', () => {
  for (const [label, code, reason, lie, liarLog] of LIES) {
    it(label, async () => {
      const { cluster, truth, liar } = await scene(lie, liarLog)
      if (label === 'a chunk from another channel') {
        const foreign = logWriter(cluster.hasher, OTHER, AUTHOR).next(TOTAL, 24)
        liar.lie = {
          chunk: (c) => ({
            kind: 'sync-chunk',
            message: {
              ...c,
              channelId: OTHER,
              entries: foreign.slice(c.firstSeq, c.firstSeq + c.entries.length),
            },
          }),
        }
      }
      const victim = cluster.node(B)
      const misbehaved: unknown[] = []
      victim.runner.on('peer-misbehaved', (e) => misbehaved.push(e.detail))

      const lied = await cluster.until(victim.requestSync(CH, X))
      expect(lied).toMatchObject({ status: 'error', peer: X, error: { code, details: { reason } } })
      expect(cluster.store(B).state(CH).nextSeq).toBe(SHARED)
      expect(misbehaved).toMatchObject([{ channel: CH, peer: X, code, reason }])
      expect(victim.manager.isPeerAvoided(X)).toBe(true)
      expect(victim.manager.peerSyncStates()?.find((s) => s.peer === X)).toMatchObject({
        lastErrorCode: code,
        avoidedUntil: expect.any(Number),
      })
      // The liar hears that the session was abandoned.
      await cluster.clock.advanceAsync(10)
      expect(liar.received.at(-1)).toMatchObject({
        kind: 'sync-close',
        message: { reason: 'aborted' },
      })

      // Asked again with no peer named, B passes over the liar and catches up from A.
      const recovered = await cluster.until(victim.requestSync(CH))
      expect(recovered).toMatchObject({ status: 'ok', outcome: { peer: A, verdict: 'caught-up' } })
      const log = await cluster.store(B).read(CH, 0 as Seq)
      expect(log.map((e) => e.hash)).toEqual(truth.map((e) => e.hash))
      // Named explicitly while avoided, the liar is refused without a frame sent.
      const sent = liar.received.length
      const refused = await cluster.until(victim.requestSync(CH, X))
      expect(refused).toMatchObject({ status: 'error', error: { code: 'ERR_SYNC_PEER_AVOIDED' } })
      await cluster.clock.advanceAsync(10)
      expect(liar.received.length).toBe(sent)
      await cluster.stop()
    })
  }

  it('an honest peer serving the same range is never blamed (the control for the lies above)', async () => {
    const { cluster, truth } = await scene({})
    const result = await cluster.until(cluster.node(B).requestSync(CH, X))
    expect(result).toMatchObject({
      status: 'ok',
      outcome: { verdict: 'caught-up', entriesReceived: TOTAL - SHARED },
    })
    expect(cluster.node(B).manager.isPeerAvoided(X)).toBe(false)
    expect(cluster.store(B).state(CH).nextSeq).toBe(truth.length)
    await cluster.stop()
  })
})
