/**
 * Many seeds of the random scenario, and what a runner prints about them:
 * one SeedReport per seed (plain data, so a worker thread can post it),
 * a summary over all of them (the JSON line `npm run test:sim` ends with),
 * and the lines that describe a violation, ending with the command that
 * replays it. The process side (arguments, threads, exit code) lives in
 * scripts/sim.mjs.
 */
import { randomScenario, SETTLE_BOUND_HEARTBEATS } from './sim-scenario.js'
import { runSimulation } from './simulation.js'
import {
  runSyncScenario,
  type SyncScenarioReport,
  summarizeSyncScenarios,
} from './sync/sync-scenario-seeds.js'

export interface SeedReport {
  readonly seed: number
  readonly ok: boolean
  readonly invariant: string | null
  readonly message: string | null
  readonly digest: string
  readonly steps: number
  readonly simulatedMs: number
  readonly heartbeatMs: number
  /** Whether the seed's peers signed their writes (in groups) and checked every author. */
  readonly signed: boolean
  readonly recentTrace: readonly string[]
  readonly counts: Readonly<Record<string, unknown>>
  /** The seed's sync-session or drain scenario (see sync/sync-scenario-seeds). */
  readonly sync?: SyncScenarioReport
}

export async function runSeed(seed: number, verbose?: (line: string) => void): Promise<SeedReport> {
  const scenario = randomScenario(seed)
  const result = await runSimulation(scenario, verbose === undefined ? {} : { verbose })
  const sync = await runSyncScenario(seed)
  for (const line of sync.trace) verbose?.(`${sync.kind}: ${line}`)
  const ok = result.violation === undefined && sync.ok
  return {
    seed,
    ok,
    invariant: result.violation?.invariant ?? sync.invariant,
    message: result.violation?.message ?? sync.message,
    digest: result.digest,
    steps: result.steps,
    simulatedMs: result.simulatedMs,
    heartbeatMs: scenario.heartbeatMs,
    signed: scenario.signed,
    recentTrace:
      result.violation !== undefined ? result.recentTrace : sync.ok ? [] : [...sync.trace],
    counts: JSON.parse(JSON.stringify(result.counts)),
    sync,
  }
}

export const replayCommand = (seed: number) => `npm run test:sim -- --seed ${seed}`

/** What to print for a seed that broke an invariant. */
export function describeViolation(report: SeedReport): string[] {
  return [
    `seed ${report.seed} VIOLATED ${report.message}`,
    `  last ${report.recentTrace.length} trace lines:`,
    ...report.recentTrace.map((line) => `    ${line}`),
    `  replay: ${replayCommand(report.seed)}`,
  ]
}

const num = (counts: Readonly<Record<string, unknown>>, key: string): number => {
  const value = counts[key]
  return typeof value === 'number' ? value : 0
}

const SUMMED = [
  'partitions',
  'leaderIsolations',
  'crashes',
  'restarts',
  'diskFills',
  'linkFaultChanges',
  'roleChanges',
  'leaderChanges',
  'dualLeaderWindows',
  'appendsSubmitted',
  'appendsAcked',
  'ackedEntries',
  'lostAckedAppends',
  'lostAckedEntries',
  'unverifiableAckedEntries',
  'unackedInLog',
  'pendingAcks',
  'offlineAppends',
  'partitionsWithWritesBothSides',
  'crashesMidForward',
  'leaderCrashes',
  'proposeReplays',
  'proposeDuplicates',
  'divergences',
  'reproposedWrites',
  'forgedFrames',
  'tamperedFrames',
  'decodeRejects',
  'routeDrops',
  'divergentEntriesCut',
  'chainProbes',
  'logResets',
  'prefixChecks',
  'prefixUnverifiable',
] as const

/** Seeds in which each offline-writes scenario happened at least once (key: its count). */
const SEEDS_WITH = {
  seedsWithPartitionWritesBothSides: 'partitionsWithWritesBothSides',
  seedsWithCrashMidForward: 'crashesMidForward',
  seedsWithLeaderChanges: 'leaderChanges',
  seedsWithLeaderCrashes: 'leaderCrashes',
  seedsWithOfflineAppends: 'offlineAppends',
  seedsWithProposeReplays: 'proposeReplays',
  seedsWithDivergenceRepropose: 'reproposedWrites',
} as const

export interface SeedsSummary extends Record<string, unknown> {
  readonly seeds: number
  readonly steps: number
  readonly violations: number
}

/** The run's figures; `violations` counts seeds with one (each seed stops at its first). */
export function summarize(reports: readonly SeedReport[], wallMs: number): SeedsSummary {
  const sums: Record<string, number> = Object.fromEntries(SUMMED.map((k) => [k, 0]))
  let frames = 0
  let framesLost = 0
  let framesDuplicated = 0
  let simulatedMs = 0
  let steps = 0
  let convergedMaxMs = 0
  let convergedMaxHeartbeats = 0
  let dualLeaderLongestMs = 0
  const runtimeDrops: Record<string, number> = {}
  for (const report of reports) {
    steps += report.steps
    simulatedMs += report.simulatedMs
    for (const key of SUMMED) sums[key] = (sums[key] ?? 0) + num(report.counts, key)
    const network = report.counts.network as Record<string, number> | undefined
    frames += network?.sent ?? 0
    framesLost += network?.lost ?? 0
    framesDuplicated += network?.duplicated ?? 0
    const converged = num(report.counts, 'convergedAfterMs')
    convergedMaxMs = Math.max(convergedMaxMs, converged)
    convergedMaxHeartbeats = Math.max(convergedMaxHeartbeats, converged / report.heartbeatMs)
    dualLeaderLongestMs = Math.max(dualLeaderLongestMs, num(report.counts, 'longestDualLeaderMs'))
    const drops = (report.counts.runtimeDrops ?? {}) as Record<string, number>
    for (const [reason, n] of Object.entries(drops))
      runtimeDrops[reason] = (runtimeDrops[reason] ?? 0) + n
  }
  const failed = reports.filter((r) => !r.ok)
  const seedsWith = Object.fromEntries(
    Object.entries(SEEDS_WITH).map(([name, key]) => [
      name,
      reports.filter((r) => num(r.counts, key) > 0).length,
    ]),
  )
  return {
    seeds: reports.length,
    steps,
    violations: failed.length,
    failedSeeds: failed.map((r) => r.seed),
    wallMs: Math.round(wallMs),
    simulatedMs,
    frames,
    framesLost,
    framesDuplicated,
    ...sums,
    ...seedsWith,
    seedsSigned: reports.filter((r) => r.signed).length,
    convergedMaxMs,
    convergedMaxHeartbeats: Math.round(convergedMaxHeartbeats * 10) / 10,
    convergenceBoundHeartbeats: SETTLE_BOUND_HEARTBEATS,
    dualLeaderLongestMs,
    runtimeDrops,
    ...summarizeSyncScenarios(reports.map((r) => r.sync)),
  }
}
