import { describe, expect, it } from 'vitest'
import { loadEntryHasher } from '../../log/entry-hasher.js'
import { type PeerId, peerId } from '../../log/ids.js'
import { testLogWriter } from '../../log/test-entries.js'
import { runLeaderAway, runLyingPeer, type SyncScenarioShape } from './sync-scenarios.js'
import { SIM_CHANNEL, SyncWorld } from './sync-world.js'

const shape = (seed: number): SyncScenarioShape => ({
  seed,
  peerCount: 3 + (seed % 3),
  heartbeatMs: [50, 100, 200][seed % 3] ?? 100,
  maxLatencyMs: 2 + (seed % 7),
  batches: 5 + (seed % 20),
})

describe('leader-away: a lagging replica catches up through its neighbours', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}`, async () => {
      const counts = await runLeaderAway(shape(seed))
      expect(counts.entriesSynced).toBeGreaterThan(0)
      expect(counts.truncatedEntries).toBe(0)
    })
  }
})

describe('lying-peer: forged sync data never reaches an honest log', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`seed ${seed}`, async () => {
      const counts = await runLyingPeer(shape(seed))
      expect(counts.lies).toBeGreaterThan(0)
      expect(counts.liarAvoided).toBe(true)
      expect(counts.entriesSynced).toBeGreaterThan(0)
    })
  }
})

describe('the truth check catches what the scenarios must never see', () => {
  it('an entry no leader wrote, in any live log, is a prefix violation', async () => {
    const world = await SyncWorld.create({
      seed: 9,
      peerCount: 3,
      heartbeatMs: 50,
      maxLatencyMs: 3,
    })
    await world.openAll()
    const leader = await world.awaitSettledLeader(5_000)
    const replica = world.peers.find((p) => p !== leader) as PeerId
    const hasher = await loadEntryHasher()
    const forged = testLogWriter(
      hasher,
      SIM_CHANNEL,
      peerId('forger'),
      world.store(replica).state(SIM_CHANNEL),
    ).next(1)
    await world.store(replica).append(SIM_CHANNEL, forged)
    await expect(world.stepTo(world.clock.now() + 100)).rejects.toThrow(/which no leader wrote/)
    await world.stopAll()
  })
})
