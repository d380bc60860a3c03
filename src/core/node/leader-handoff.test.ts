import { equals } from 'uint8arrays/equals'
import { describe, expect, it } from 'vitest'
import { channelId, type PeerId, peerId, type Seq } from '../log/ids.js'
import type { SyncResponse } from '../replication/messages.js'
import { type SyncCluster, syncCluster } from './sync-cluster.js'

const CH = channelId('handoff')
const PEERS = ['p1', 'p2', 'p3'].map((p) => peerId(p)) as [PeerId, PeerId, PeerId]
const HEARTBEAT = 100

function runtime(cluster: SyncCluster, peer: PeerId) {
  const found = cluster.node(peer).node.runtime(CH)
  if (found === undefined) throw new Error(`${peer} has no runtime`)
  return found
}

async function electedCluster(): Promise<{ cluster: SyncCluster; leader: PeerId }> {
  const cluster = await syncCluster({ peers: PEERS, heartbeatMs: HEARTBEAT })
  for (const peer of PEERS) await cluster.node(peer).open(CH, { replicaSet: PEERS })
  for (let i = 0; i < 100; i++) {
    const leader = PEERS.find((p) => runtime(cluster, p).role === 'leader')
    const followed =
      leader !== undefined &&
      PEERS.every((p) => p === leader || runtime(cluster, p).believedLeader === leader)
    if (followed) return { cluster, leader }
    await cluster.clock.advanceAsync(10)
  }
  throw new Error('no leader was elected')
}

async function sameLog(cluster: SyncCluster, a: PeerId, b: PeerId): Promise<boolean> {
  const left = await cluster.store(a).read(CH, 0 as Seq)
  const right = await cluster.store(b).read(CH, 0 as Seq)
  return (
    left.length === right.length &&
    left.every((e, i) => {
      const mirror = right[i]
      return mirror !== undefined && equals(e.hash, mirror.hash)
    })
  )
}

/** Steps 1 ms at a time until `done`, returning how long it took. */
async function timeUntil(
  cluster: SyncCluster,
  done: () => boolean,
  maxMs = 2_000,
): Promise<number> {
  const start = cluster.clock.now()
  while (!done()) {
    if (cluster.clock.now() - start > maxMs) throw new Error(`not within ${maxMs} ms`)
    await cluster.clock.advanceAsync(1)
  }
  return cluster.clock.now() - start
}

describe('leadership hand-off: a leaving leader names its successor', () => {
  it('the successor leads and every replica follows it within a heartbeat, nothing lost', async () => {
    const { cluster, leader } = await electedCluster()
    await cluster.node(leader).node.append(CH, [Uint8Array.of(1), Uint8Array.of(2)])
    await cluster.clock.advanceAsync(HEARTBEAT)
    const [successor, other] = PEERS.filter((p) => p !== leader) as [PeerId, PeerId]
    runtime(cluster, leader).setStanding(false)
    const started = await runtime(cluster, leader).handOff(successor)
    expect(started).toEqual({ status: 'sent', to: successor, tailSeq: 2 })
    const took = await timeUntil(
      cluster,
      () =>
        runtime(cluster, successor).role === 'leader' &&
        runtime(cluster, leader).role === 'replica' &&
        runtime(cluster, leader).believedLeader === successor &&
        runtime(cluster, other).believedLeader === successor,
    )
    expect(took).toBeLessThanOrEqual(HEARTBEAT)
    expect(runtime(cluster, successor).metrics().handoffsAcceptedTotal).toBe(1)
    expect(runtime(cluster, successor).metrics().transitionsBySignal['handoff-accepted']).toBe(1)
    await cluster.node(successor).node.append(CH, [Uint8Array.of(3)])
    await cluster.clock.advanceAsync(3 * HEARTBEAT)
    for (const peer of PEERS) expect(cluster.store(peer).state(CH).nextSeq).toBe(3)
    expect(await sameLog(cluster, leader, other)).toBe(true)
    // The old leader does not come back: it is not standing.
    await cluster.clock.advanceAsync(20 * HEARTBEAT)
    expect(runtime(cluster, successor).role).toBe('leader')
    await cluster.stop()
  })

  it('a successor that lags pulls up to the named tail first, then takes over', async () => {
    const { cluster, leader } = await electedCluster()
    const [successor] = PEERS.filter((p) => p !== leader) as [PeerId]
    // The successor hears nothing from the leader while 50 entries are written.
    cluster.dropFrom(leader, (to, frame) => to === successor && frame.kind === 'sync-response')
    for (let i = 0; i < 5; i++) {
      await cluster.node(leader).node.append(
        CH,
        Array.from({ length: 10 }, (_, j) => Uint8Array.of(i, j)),
      )
    }
    await cluster.clock.advanceAsync(HEARTBEAT)
    expect(cluster.store(successor).state(CH).nextSeq).toBe(0)
    cluster.dropFrom(leader, undefined)
    await runtime(cluster, leader).handOff(successor)
    await timeUntil(cluster, () => runtime(cluster, successor).role === 'leader', 2 * HEARTBEAT)
    expect(cluster.store(successor).state(CH).nextSeq).toBe(50)
    expect(await sameLog(cluster, leader, successor)).toBe(true)
    await cluster.stop()
  })

  it('a successor whose pull waits on a request sent before the last append pulls again once that answer comes back short', async () => {
    const { cluster, leader } = await electedCluster()
    const [successor] = PEERS.filter((p) => p !== leader) as [PeerId]
    // Hold the empty answer that ends the successor's catch-up to seq 2: its request stays in flight.
    let held: SyncResponse | undefined
    cluster.dropFrom(leader, (to, frame) => {
      if (to !== successor || frame.kind !== 'sync-response') return false
      if (frame.message.entries.length > 0 || frame.message.firstSeq !== 2) return false
      held = frame.message
      return true
    })
    await cluster.node(leader).node.append(CH, [Uint8Array.of(1), Uint8Array.of(2)])
    await timeUntil(cluster, () => held !== undefined, HEARTBEAT)
    cluster.dropFrom(leader, undefined)
    // One more append, then the hand-off names tail 3; the successor's pull
    // is folded into the request still in flight, answered at tail 2.
    await cluster.node(leader).node.append(CH, [Uint8Array.of(3)])
    runtime(cluster, leader).setStanding(false)
    await runtime(cluster, leader).handOff(successor)
    await cluster.clock.advanceAsync(5)
    expect(runtime(cluster, successor).role).toBe('replica')
    expect(cluster.store(successor).state(CH).nextSeq).toBe(2)
    if (held === undefined) throw new Error('no empty answer was held')
    runtime(cluster, successor).tryDispatch({ kind: 'sync-response', from: leader, message: held })
    // A round trip, not the successor's next tick.
    const took = await timeUntil(cluster, () => runtime(cluster, successor).role === 'leader')
    expect(took).toBeLessThanOrEqual(10)
    expect(cluster.store(successor).state(CH).nextSeq).toBe(3)
    await cluster.stop()
  })

  it('appends wait in the outbox while handing off; an unanswered hand-off lapses and the leader resumes', async () => {
    const { cluster, leader } = await electedCluster()
    const [successor] = PEERS.filter((p) => p !== leader) as [PeerId]
    // The successor is draining too: it refuses.
    runtime(cluster, successor).setStanding(false)
    await runtime(cluster, leader).handOff(successor)
    // The leader promised its successor this tail: its own write waits.
    await expect(cluster.node(leader).node.append(CH, [Uint8Array.of(9)])).resolves.toMatchObject({
      pending: { author: leader, authorSeq: 0 },
    })
    await cluster.clock.advanceAsync(10)
    expect(runtime(cluster, successor).metrics().handoffsRefusedTotal).toBe(1)
    expect(runtime(cluster, successor).role).toBe('replica')
    await cluster.clock.advanceAsync(3 * HEARTBEAT)
    expect(runtime(cluster, leader).metrics().handoffsLapsedTotal).toBe(1)
    expect(runtime(cluster, leader).role).toBe('leader')
    // Leading again, it commits the waiting write first, then takes new ones at once.
    await cluster.clock.advanceAsync(HEARTBEAT)
    await expect(cluster.node(leader).node.append(CH, [Uint8Array.of(10)])).resolves.toMatchObject({
      firstSeq: 1,
    })
    await cluster.stop()
  })

  it('a successor ahead of the named tail, or on another chain, refuses', async () => {
    const { cluster, leader } = await electedCluster()
    const [successor] = PEERS.filter((p) => p !== leader) as [PeerId]
    // Forge a hand-off from the leader naming a tail behind the successor's log.
    await cluster.node(leader).node.append(CH, [Uint8Array.of(1), Uint8Array.of(2)])
    await cluster.clock.advanceAsync(HEARTBEAT)
    runtime(cluster, successor).tryDispatch({
      kind: 'leader-handoff',
      from: leader,
      message: { channelId: CH, successor, tailSeq: 1 as Seq, lastHash: new Uint8Array(32) },
    })
    runtime(cluster, successor).tryDispatch({
      kind: 'leader-handoff',
      from: leader,
      message: {
        channelId: CH,
        successor,
        tailSeq: 2 as Seq,
        lastHash: new Uint8Array(32).fill(7),
      },
    })
    await cluster.clock.advanceAsync(5)
    expect(runtime(cluster, successor).metrics().handoffsRefusedTotal).toBe(2)
    expect(runtime(cluster, successor).role).toBe('replica')
    await cluster.stop()
  })

  it('a peer that is not standing never wins an election', async () => {
    const { cluster, leader } = await electedCluster()
    const rest = PEERS.filter((p) => p !== leader)
    for (const peer of rest) runtime(cluster, peer).setStanding(false)
    await cluster.node(leader).node.close(CH)
    await cluster.clock.advanceAsync(20 * HEARTBEAT)
    for (const peer of rest) expect(runtime(cluster, peer).role).not.toBe('leader')
    runtime(cluster, rest[0] as PeerId).setStanding(true)
    await cluster.clock.advanceAsync(10 * HEARTBEAT)
    expect(runtime(cluster, rest[0] as PeerId).role).toBe('leader')
    await cluster.stop()
  })
})
