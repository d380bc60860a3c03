import { describe, expect, it } from 'vitest'
import { ControlLoop } from '../control/control-loop.js'
import { createJsHasher } from '../log/entry-hasher.js'
import { channelId, type PeerId, peerId } from '../log/ids.js'
import { seededRng } from '../random/rng.js'
import { ControlBridge } from './control-bridge.js'
import { type SyncCluster, syncCluster } from './sync-cluster.js'

const CH = channelId('bridge')
const PEERS = ['b1', 'b2', 'b3'].map((p) => peerId(p)) as [PeerId, PeerId, PeerId]

async function setUp(): Promise<{
  cluster: SyncCluster
  loops: Map<PeerId, ControlLoop>
  bridges: Map<PeerId, ControlBridge>
  leader: PeerId
}> {
  const cluster = await syncCluster({ peers: PEERS, heartbeatMs: 100 })
  const loops = new Map<PeerId, ControlLoop>()
  const bridges = new Map<PeerId, ControlBridge>()
  for (const [i, peer] of PEERS.entries()) {
    const loop = new ControlLoop({
      thisPeer: peer,
      clock: cluster.clock,
      rng: seededRng(i + 1),
      hasher: createJsHasher(),
      config: { tickIntervalMs: 50, handoffRetryMs: 200, syncIntervalMs: 600_000 },
    })
    const bridge = new ControlBridge({ loop, node: cluster.node(peer) })
    loop.start()
    bridge.start()
    loops.set(peer, loop)
    bridges.set(peer, bridge)
  }
  for (const peer of PEERS) await cluster.node(peer).open(CH, { replicaSet: PEERS })
  for (let i = 0; i < 100; i++) {
    await cluster.clock.advanceAsync(20)
    const leader = PEERS.find((p) => cluster.node(p).node.runtime(CH)?.role === 'leader')
    if (
      leader !== undefined &&
      PEERS.every(
        (p) => p === leader || cluster.node(p).node.runtime(CH)?.believedLeader === leader,
      )
    )
      return { cluster, loops, bridges, leader }
  }
  throw new Error('no leader')
}

async function tearDown(s: Awaited<ReturnType<typeof setUp>>): Promise<void> {
  const stopping = Promise.all(
    PEERS.map(async (p) => {
      await s.loops.get(p)?.stop()
      await s.bridges.get(p)?.stop()
    }),
  )
  await s.cluster.until(stopping)
  await s.cluster.stop()
}

describe('ControlBridge: the loop sees the node, and its actions act on it', () => {
  it('folds channels, runtimes and roles into the snapshot', async () => {
    const s = await setUp()
    await s.cluster.clock.advanceAsync(100)
    for (const peer of PEERS) {
      const view = s.loops
        .get(peer)
        ?.snapshot()
        .channels.find((c) => c.channel === CH)
      expect(view?.desired?.replicaSet).toEqual(PEERS)
      expect(view?.runtime).toMatchObject({
        status: 'running',
        role: peer === s.leader ? 'leader' : 'replica',
        leader: s.leader,
      })
    }
    await tearDown(s)
  })

  it('a replica set changed in place stays: the loop confirms it and never reopens with the old one', async () => {
    const s = await setUp()
    const [b1, b2] = PEERS
    s.cluster.node(b1).setReplicaSet(CH, [b1, b2])
    await s.cluster.clock.advanceAsync(1_000)
    expect(s.cluster.node(b1).channelOptions(CH)?.replicaSet).toEqual([b1, b2])
    const view = s.loops
      .get(b1)
      ?.snapshot()
      .channels.find((c) => c.channel === CH)
    expect(view?.desired?.replicaSet).toEqual([b1, b2])
    expect(view?.runtime?.status).toBe('running')
    await tearDown(s)
  })

  it('a drain stops the peer standing and hands its leadership to a live replica', async () => {
    const s = await setUp()
    const loop = s.loops.get(s.leader) as ControlLoop
    for (const peer of PEERS) {
      if (peer !== s.leader) loop.acquireHandle().tryPublish({ type: 'peer-connected', peer })
    }
    await s.cluster.clock.advanceAsync(60)
    loop.acquireHandle().tryPublish({ type: 'drain-requested', reason: 'tab-closing' })
    await s.cluster.clock.advanceAsync(60)
    expect(s.cluster.node(s.leader).node.runtime(CH)?.standing).toBe(false)
    expect(s.bridges.get(s.leader)?.counts.handoffsSent).toBe(1)
    const successor = PEERS.find(
      (p) => p !== s.leader && s.cluster.node(p).node.runtime(CH)?.role === 'leader',
    )
    expect(successor).toBeDefined()
    await s.cluster.clock.advanceAsync(200)
    expect(loop.snapshot().maintenance).toMatchObject({ phase: 'drained' })
    await tearDown(s)
  })

  it('an action it cannot carry out comes back to the loop as a failure record', async () => {
    const s = await setUp()
    const loop = s.loops.get(s.leader) as ControlLoop
    // No member was reported connected, so the loop dials them; this bridge has no dialer.
    await s.cluster.clock.advanceAsync(200)
    const failures = loop.snapshot().recentFailures
    expect(failures.some((f) => f.reason.includes('no-dialer'))).toBe(true)
    expect(s.bridges.get(s.leader)?.counts.failed).toBeGreaterThan(0)
    await tearDown(s)
  })
})
