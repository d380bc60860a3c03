import { describe, expect, it } from 'vitest'
import { randomScenario } from './sim-scenario.js'
import { runSeed } from './sim-seeds.js'
import { runSimulation } from './simulation.js'

// The runner replays any seed; SEED=… picks the seed these tests use.
const SEED = Number(process.env.SEED ?? 19)

describe('a simulated run', () => {
  it('replays exactly from its seed: same trace, same final logs, same digest', async () => {
    const lines: string[][] = [[], []]
    const first = await runSimulation(randomScenario(SEED), { verbose: (l) => lines[0]?.push(l) })
    const second = await runSimulation(randomScenario(SEED), { verbose: (l) => lines[1]?.push(l) })
    expect(second.digest).toBe(first.digest)
    expect(lines[1]).toEqual(lines[0])
    expect(second.counts).toEqual(first.counts)
    const other = await runSimulation(randomScenario(SEED + 1))
    expect(other.digest).not.toBe(first.digest)
  }, 120_000)

  // Four short seeds: `npm test` runs 200 through scripts/sim.mjs.
  it('holds every invariant through faults, heal and settle (seeds 15, 20, 26, 28)', async () => {
    const exercised: Record<string, number> = {}
    for (const seed of [15, 20, 26, 28]) {
      const report = await runSeed(seed)
      expect(report.message, `replay: npm run test:sim -- --seed ${seed}`).toBeNull()
      expect(report.counts.convergedAfterMs).not.toBeNull()
      for (const [key, value] of Object.entries(report.counts)) {
        if (typeof value === 'number') exercised[key] = (exercised[key] ?? 0) + value
      }
    }
    // The runs did exercise what they claim to check.
    for (const key of [
      'crashes',
      'partitions',
      'leaderIsolations',
      'diskFills',
      'appendsAcked',
      'forgedFrames',
      'tamperedFrames',
      'prefixChecks',
      'divergentEntriesCut',
      'pendingAcks',
      'offlineAppends',
      'partitionsWithWritesBothSides',
      'proposeReplays',
      'proposeDuplicates',
      'reproposedWrites',
    ]) {
      expect(exercised[key], key).toBeGreaterThan(0)
    }
  }, 120_000)
})
