import { equals } from 'uint8arrays/equals'
import { describe, expect, it } from 'vitest'
import type { Entry } from '../log/entry.js'
import { channelId, type PeerId, peerId, type Seq } from '../log/ids.js'
import type { SessionOutcome, SyncSessionResult } from '../sync/session-job.js'
import { fill, logWriter, type SyncCluster, syncCluster } from './sync-cluster.js'

const CH = channelId('sync-node')
const [L, A, B] = ['leader', 'replica-a', 'replica-b'].map((p) => peerId(p)) as [
  PeerId,
  PeerId,
  PeerId,
]
const AUTHOR = peerId('author')

function ok(result: SyncSessionResult): SessionOutcome {
  if (result.status !== 'ok')
    throw new Error(`session ${result.status}: ${result.error.code} ${result.error.message}`)
  return result.outcome
}

async function sameLog(cluster: SyncCluster, a: PeerId, b: PeerId): Promise<boolean> {
  const left = await cluster.store(a).read(CH, 0 as Seq)
  const right = await cluster.store(b).read(CH, 0 as Seq)
  return (
    left.length === right.length && left.every((e, i) => equals(e.hash, (right[i] as Entry).hash))
  )
}

describe('a peer far behind catches up from a neighbour while the leader is away', () => {
  it('replica B, offline while the leader wrote 300 entries, syncs them from replica A, verified', async () => {
    // B measures the replica that is not the leader as nearest, once it is known.
    let nearest: PeerId | undefined
    const cluster = await syncCluster({
      peers: [L, A, B],
      options: (peer) => (peer === B ? { rttLookup: (p) => (p === nearest ? 1 : 50) } : {}),
    })
    cluster.net.partition([[L, A], [B]])
    for (const peer of [L, A, B]) await cluster.node(peer).open(CH, { replicaSet: [L, A, B] })
    const leader = async () => {
      for (let i = 0; i < 40; i++) {
        const found = [L, A].find((p) => cluster.node(p).node.runtime(CH)?.role === 'leader')
        if (found !== undefined) return found
        await cluster.clock.advanceAsync(100)
      }
      throw new Error('no leader')
    }
    const writer = await leader()
    for (let i = 0; i < 6; i++) {
      await cluster.node(writer).node.append(
        CH,
        Array.from({ length: 50 }, (_, j) => Uint8Array.of(i, j)),
      )
    }
    for (let i = 0; i < 40 && cluster.store(A).state(CH).nextSeq < 300; i++)
      await cluster.clock.advanceAsync(20)
    expect(cluster.store(A).state(CH).nextSeq).toBe(300)
    expect(cluster.store(B).state(CH).nextSeq).toBe(0)

    // The writer goes away; B can reach only the other replica.
    const other = writer === L ? A : L
    nearest = other
    cluster.net.partition([[writer], [other, B]])
    // Readers of B's log (a page's subscription) hear of what the session appended.
    const announced: Array<[number, number]> = []
    cluster
      .node(B)
      .node.on('log-advanced', (e) => announced.push([e.detail.fromSeq, e.detail.toSeq]))
    const result = await cluster.until(cluster.node(B).requestSync(CH))
    expect(ok(result)).toMatchObject({ peer: other, verdict: 'caught-up', entriesReceived: 300 })
    expect(await sameLog(cluster, B, other)).toBe(true)
    expect(announced[0]?.[0]).toBe(0)
    expect(announced.at(-1)?.[1]).toBe(300)
    expect(cluster.node(B).runner.stats()).toMatchObject({
      entriesAppended: 300,
      chunksRejected: 0,
    })
    expect(cluster.node(B).verifier.stats().totalRejected).toBe(0)
    await cluster.stop()
  })

  it('a new tab with an empty store bootstraps a channel it has not opened from a neighbour', async () => {
    const cluster = await syncCluster({ peers: [A, B] })
    await fill([cluster.store(A)], CH, logWriter(cluster.hasher, CH, AUTHOR).next(1_000, 40))
    const result = await cluster.until(cluster.node(B).requestSync(CH, A))
    expect(ok(result)).toMatchObject({ verdict: 'caught-up', entriesReceived: 1_000 })
    expect(await sameLog(cluster, A, B)).toBe(true)
    const progress = cluster.node(A).runner.stats()
    expect(progress.entriesServed).toBe(1_000)
    expect(progress.verdicts.served).toBe(1)
    await cluster.stop()
  })
})

describe('a session compares heads before it moves anything', () => {
  it('in sync, and peer behind, end after the head exchange with nothing fetched', async () => {
    const cluster = await syncCluster({ peers: [A, B] })
    const entries = logWriter(cluster.hasher, CH, AUTHOR).next(64)
    await fill([cluster.store(A), cluster.store(B)], CH, entries)
    expect(ok(await cluster.until(cluster.node(B).requestSync(CH, A)))).toMatchObject({
      verdict: 'in-sync',
      entriesReceived: 0,
    })
    await cluster
      .store(B)
      .append(CH, logWriter(cluster.hasher, CH, AUTHOR, cluster.store(B).state(CH)).next(5))
    expect(ok(await cluster.until(cluster.node(B).requestSync(CH, A)))).toMatchObject({
      verdict: 'remote-behind',
      remoteHead: { size: 64 },
    })
    expect(cluster.store(A).state(CH).nextSeq).toBe(64)
    expect(cluster.node(B).runner.stats().chunksReceived).toBe(0)
    await cluster.stop()
  })
})

describe('divergence is detected and reported, never repaired', () => {
  for (const [label, ours, theirs] of [
    ['the peer is ahead on another branch', 20, 60],
    ['the peer is behind on another branch', 60, 20],
    ['same length, other branch', 30, 30],
  ] as const) {
    it(label, async () => {
      const cluster = await syncCluster({ peers: [A, B] })
      const shared = logWriter(cluster.hasher, CH, AUTHOR)
      const prefix = shared.next(100)
      await fill([cluster.store(A), cluster.store(B)], CH, prefix)
      await cluster
        .store(B)
        .append(CH, logWriter(cluster.hasher, CH, peerId('b-writer'), shared.tail).next(ours))
      await cluster
        .store(A)
        .append(CH, logWriter(cluster.hasher, CH, peerId('a-writer'), shared.tail).next(theirs))
      const before = cluster.store(B).state(CH)
      const seen: unknown[] = []
      cluster.node(B).runner.on('divergence-detected', (e) => seen.push(e.detail))
      const outcome = ok(await cluster.until(cluster.node(B).requestSync(CH, A)))
      expect(outcome).toMatchObject({
        verdict: 'diverged',
        entriesReceived: 0,
        remoteHead: { size: 100 + theirs },
      })
      expect(seen).toMatchObject([
        { channel: CH, peer: A, local: { size: 100 + ours }, remote: { size: 100 + theirs } },
      ])
      expect(cluster.node(B).runner.stats().verdicts.diverged).toBe(1)
      expect(cluster.store(B).state(CH)).toEqual(before)
      expect(cluster.node(B).manager.isPeerAvoided(A)).toBe(false)
      await cluster.stop()
    })
  }
})
