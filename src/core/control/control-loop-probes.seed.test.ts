/**
 * Seed 002's event-loop tests, ported by name, in four files
 * (control-loop-*.seed.test.ts); this one: probes: failures, inventory
 * garbage collection, RTT and health samples. Time is a ManualClock, so "let
 * several ticks fire" is an exact number of ticks and nothing sleeps.
 */
import { describe, expect, it } from 'vitest'
import { MemoryLogger } from '../logger.js'
import { ProbeRegistry } from './probes.js'
import { inventoryPeers, makeTestLoop, p, peerView } from './test-control-kit.js'

describe('seed 002: mesh control loop — probes', () => {
  it('panicking_probe_does_not_kill_the_loop', async () => {
    const logger = new MemoryLogger()
    const { loop, clock } = makeTestLoop({ logger })
    loop.probes.addLocalityProbe({
      rttSamples() {
        throw new Error('boom from probe')
      },
    })
    const handle = loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(60)
    await handle.publish({ type: 'shutdown' })
    await clock.advanceAsync(0)
    const exit = await loop.exited
    expect(exit.reconcileCount).toBe(6)
    expect(loop.snapshot().counters.probeFailures).toMatchObject({ locality: 6 })
    expect(logger.records.filter((l) => l.level === 'error')).toHaveLength(6)
  })

  it('inventory_gc_drops_peers_no_probe_samples_anymore', async () => {
    const script = [
      ['a', 'b', 'c'],
      ['b', 'c'],
      ['b', 'c'],
    ]
    let tick = 0
    const { loop, clock } = makeTestLoop()
    loop.probes.addInventoryProbe({
      inventorySamples() {
        const peers = script[Math.min(tick++, script.length - 1)] ?? []
        return peers.map((peer) => ({ peer: p(peer), inventory: { storageUsageBytes: 100 } }))
      },
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(10)
    expect(inventoryPeers(loop.snapshot())).toEqual(['a', 'b', 'c'])
    await clock.advanceAsync(70)
    expect(inventoryPeers(loop.snapshot())).toEqual(['b', 'c'])
    await loop.stop()
  })

  it('inventory_gc_does_not_wipe_peers_when_one_of_two_probes_panics', async () => {
    let calls = 0
    const { loop, clock } = makeTestLoop()
    loop.probes.addInventoryProbe({
      inventorySamples: () => [{ peer: p('a'), inventory: { storageUsageBytes: 1 } }],
    })
    loop.probes.addInventoryProbe({
      inventorySamples() {
        if (calls++ > 0) throw new Error(`probe B threw on tick ${calls}`)
        return [{ peer: p('b'), inventory: { storageUsageBytes: 2 } }]
      },
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    expect(calls).toBe(8)
    // Ticks 2..8 were partial: not authoritative for probe B's peer.
    expect(inventoryPeers(loop.snapshot())).toEqual(['a', 'b'])
    await loop.stop()
  })

  it('inventory_gc_does_not_wipe_on_a_transient_empty_probe', async () => {
    let calls = 0
    const { loop, clock } = makeTestLoop()
    loop.probes.addInventoryProbe({
      inventorySamples: () =>
        calls++ === 0
          ? [
              { peer: p('a'), inventory: { storageUsageBytes: 1 } },
              { peer: p('b'), inventory: { storageUsageBytes: 2 } },
            ]
          : [],
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    expect(calls).toBe(8)
    expect(inventoryPeers(loop.snapshot())).toEqual(['a', 'b'])
    await loop.stop()
  })

  it('locality_probe_samples_fold_into_actual_rtt_via_snapshot', async () => {
    const { loop, clock } = makeTestLoop()
    loop.probes.addLocalityProbe({
      rttSamples: () => [
        { peer: p('10'), rttMs: 33 },
        { peer: p('11'), rttMs: 150 },
      ],
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    expect(peerView(loop.snapshot(), '10')?.rttMs).toBe(33)
    expect(peerView(loop.snapshot(), '11')?.rttMs).toBe(150)
    await loop.stop()
  })

  it('health_probe_samples_fold_into_actual_health_via_snapshot', async () => {
    const { loop, clock } = makeTestLoop()
    loop.probes.addHealthProbe({ healthSamples: () => [{ peer: p('5'), health: 'unreachable' }] })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    expect(peerView(loop.snapshot(), '5')?.health).toBe('unreachable')
    await loop.stop()
  })

  it('probe_registry_attached_post_construction_is_polled_on_next_tick', async () => {
    const registry = new ProbeRegistry()
    const { loop, clock } = makeTestLoop({ probes: registry })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(10)
    expect(peerView(loop.snapshot(), '99')).toBeUndefined()
    // Installed after the loop started: the shared registry hands it to the next tick.
    registry.addLocalityProbe({ rttSamples: () => [{ peer: p('99'), rttMs: 7 }] })
    await clock.advanceAsync(10)
    expect(peerView(loop.snapshot(), '99')?.rttMs).toBe(7)
    await loop.stop()
  })

  it('clear_inventory_probes_drops_installed_probes_only', () => {
    const registry = new ProbeRegistry()
    registry.addLocalityProbe({ rttSamples: () => [] })
    registry.addHealthProbe({ healthSamples: () => [] })
    registry.addInventoryProbe({ inventorySamples: () => [] })
    registry.addInventoryProbe({ inventorySamples: () => [] })
    expect(registry.counts()).toEqual({ locality: 1, health: 1, inventory: 2 })
    registry.clearInventoryProbes()
    expect(registry.counts()).toEqual({ locality: 1, health: 1, inventory: 0 })
    registry.clearLocalityProbes()
    expect(registry.counts()).toEqual({ locality: 0, health: 1, inventory: 0 })
    registry.clearHealthProbes()
    expect(registry.counts()).toEqual({ locality: 0, health: 0, inventory: 0 })
    registry.addInventoryProbe({ inventorySamples: () => [] })
    expect(registry.counts()).toEqual({ locality: 0, health: 0, inventory: 1 })
  })
})
