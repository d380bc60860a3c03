import { describe, expect, it } from 'vitest'
import { peerId } from '../log/ids.js'
import { MemoryLogger } from '../logger.js'
import { resolveControlConfig } from './control-config.js'
import { createControlState } from './control-state.js'
import { pollProbes } from './poll-probes.js'
import { type InventorySample, ProbeRegistry, type RttSample } from './probes.js'
import { SELF } from './test-control-kit.js'

const config = resolveControlConfig({ maxPeers: 3 })
const A = peerId('a')
const B = peerId('b')

describe('probes: polled each tick, each call isolated', () => {
  it('a probe that throws or answers with a non-array is one failure; the others still fold', () => {
    const registry = new ProbeRegistry()
    registry.addLocalityProbe({
      rttSamples() {
        throw new Error('boom')
      },
    })
    registry.addLocalityProbe({ rttSamples: () => Promise.resolve([]) as unknown as RttSample[] })
    registry.addLocalityProbe({ rttSamples: () => [{ peer: A, rttMs: 12 }] })
    const state = createControlState(SELF)
    const logger = new MemoryLogger()
    expect(pollProbes(registry, state, config, logger)).toEqual({
      failed: ['locality', 'locality'],
      rejectedSamples: 0,
    })
    expect(state.rtt.get(A)).toBe(12)
    expect(logger.records.map((l) => l.level)).toEqual(['error', 'error'])
  })

  it('skips and counts malformed samples and samples past the peer cap', () => {
    const registry = new ProbeRegistry()
    registry.addLocalityProbe({
      rttSamples: () => [
        { peer: A, rttMs: -1 },
        { peer: '' as never, rttMs: 1 },
        { peer: B, rttMs: 5 },
        { peer: peerId('c'), rttMs: 5 },
        { peer: peerId('d'), rttMs: 5 },
        { peer: peerId('e'), rttMs: 5 },
      ],
    })
    registry.addHealthProbe({ healthSamples: () => [{ peer: A, health: 'fine' as never }] })
    const state = createControlState(SELF)
    expect(pollProbes(registry, state, config, new MemoryLogger()).rejectedSamples).toBe(4)
    expect([...state.rtt.keys()]).toEqual(['b', 'c', 'd'])
    expect(state.health.size).toBe(0)
  })

  it('later inventory probes overwrite earlier ones for the same peer; this peer feeds the storage estimate', () => {
    const registry = new ProbeRegistry()
    const sample = (usage: number): InventorySample[] => [
      { peer: SELF, inventory: { storageUsageBytes: usage, storageQuotaBytes: 1_000 } },
    ]
    registry.addInventoryProbe({ inventorySamples: () => sample(100) })
    registry.addInventoryProbe({ inventorySamples: () => sample(900) })
    const state = createControlState(SELF)
    pollProbes(registry, state, config, new MemoryLogger())
    expect(state.inventory.get(SELF)?.storageUsageBytes).toBe(900)
    expect(state.storage).toEqual({ usageBytes: 900, quotaBytes: 1_000 })
  })

  it('probes read no clock and no I/O: the same answers fold to the same state', () => {
    const registry = new ProbeRegistry()
    registry.addLocalityProbe({ rttSamples: () => [{ peer: A, rttMs: 3 }] })
    registry.addInventoryProbe({
      inventorySamples: () => [{ peer: B, inventory: { logBytes: { x: 1 } } }],
    })
    const first = createControlState(SELF)
    const second = createControlState(SELF)
    pollProbes(registry, first, config, new MemoryLogger())
    pollProbes(registry, second, config, new MemoryLogger())
    expect([...first.rtt, ...first.inventory]).toEqual([...second.rtt, ...second.inventory])
  })
})
