import { describe, expect, it } from 'vitest'
import { channelId, type PeerId, peerId } from '../core/log/ids.js'
import { syncCluster } from '../core/node/sync-cluster.js'
import { WorkerControl } from './worker-control.js'

const CH = channelId('worker-control')
const [A, B, C] = ['wa', 'wb', 'wc'].map((p) => peerId(p)) as [PeerId, PeerId, PeerId]

async function setUp() {
  const cluster = await syncCluster({ peers: [A, B], heartbeatMs: 100 })
  const linked = new Set<PeerId>([B])
  const control = new WorkerControl({
    node: cluster.node(A),
    store: cluster.store(A),
    hasher: cluster.hasher,
    clock: cluster.clock,
    linkedPeers: () => linked,
    estimateStorage: async () => ({ usage: 500, quota: 1_000 }),
  })
  control.start()
  for (const peer of [A, B]) await cluster.node(peer).open(CH, { replicaSet: [A, B, C] })
  return { cluster, control, linked }
}

describe('WorkerControl: the probes and drains of the worker’s control loop', () => {
  it('linked peers are connected and healthy, unlinked members unreachable; inventory and RTT reach the snapshot', async () => {
    const { cluster, control, linked } = await setUp()
    control.reportRtt([{ peer: B, rttMs: 12 }])
    await cluster.clock.advanceAsync(2_100)
    const snapshot = control.snapshot()
    const view = (peer: PeerId) => snapshot.peers.find((p) => p.peer === peer)
    expect(view(B)).toMatchObject({ connected: true, health: 'healthy', rttMs: 12 })
    expect(view(C)).toMatchObject({ connected: false, health: 'unreachable' })
    expect(view(A)).toMatchObject({
      health: 'healthy',
      inventory: { storageUsageBytes: 500, storageQuotaBytes: 1_000, logBytes: { [CH]: 0 } },
    })
    expect(snapshot.storage).toEqual({ usageBytes: 500, quotaBytes: 1_000, usageRatio: 0.5 })
    linked.delete(B)
    await cluster.clock.advanceAsync(2_100)
    expect(control.snapshot().peers.find((p) => p.peer === B)).toMatchObject({
      connected: false,
      health: 'unreachable',
    })
    await cluster.until(control.stop())
    await cluster.stop()
  })

  it('drain resolves with the outcome; asked again once drained, at once; a cancel resolves pending drains', async () => {
    const { cluster, control } = await setUp()
    // A and B elect themselves; the tiebreak leaves A (the smaller id) leading.
    for (let i = 0; i < 50 && cluster.node(A).node.runtime(CH)?.role !== 'leader'; i++) {
      await cluster.clock.advanceAsync(100)
    }
    expect(cluster.node(A).node.runtime(CH)?.role).toBe('leader')
    const first = control.drain('local', 10_000)
    await expect(cluster.until(first, 5_000)).resolves.toBe('drained')
    // C is unreachable, so the only successor was B.
    expect(cluster.node(B).node.runtime(CH)?.role).toBe('leader')
    expect(cluster.node(A).node.runtime(CH)?.standing).toBe(false)
    await expect(control.drain('tab-closing')).resolves.toBe('drained')
    control.cancelDrain()
    await cluster.clock.advanceAsync(1_100)
    expect(control.snapshot().maintenance).toEqual({ phase: 'active' })
    expect(cluster.node(A).node.runtime(CH)?.standing).toBe(true)
    const pending = control.drain('local')
    control.cancelDrain()
    await expect(pending).resolves.toBe('cancelled')
    await cluster.until(control.stop())
    await cluster.stop()
  })
})
