/**
 * The sync-session and drain scenarios as part of `npm run test:sim`: each
 * seed runs one of them (drawn from the seed) beside the random replication
 * scenario, and the seed fails if either does. The summary counts the seeds
 * that ran each scenario and carries their figures, the drain's leaderless
 * and failover times above all.
 */
import { seededRng } from '../../random/rng.js'
import { InvariantViolation } from '../invariant-violation.js'
import { type DrainCounts, runDrain } from './drain-scenario.js'
import {
  runLeaderAway,
  runLyingPeer,
  type SyncScenarioCounts,
  type SyncScenarioShape,
} from './sync-scenarios.js'

export const SYNC_SCENARIOS = ['leader-away', 'lying-peer', 'drain'] as const
export type SyncScenarioKind = (typeof SYNC_SCENARIOS)[number]

export interface SyncScenarioReport {
  readonly kind: SyncScenarioKind
  readonly ok: boolean
  readonly invariant: string | null
  readonly message: string | null
  readonly trace: readonly string[]
  readonly heartbeatMs: number
  readonly counts: Partial<SyncScenarioCounts & DrainCounts>
}

export function syncScenarioFor(seed: number): {
  kind: SyncScenarioKind
  shape: SyncScenarioShape
} {
  const rng = seededRng(seed ^ 0x0d5a11ce)
  const kind = SYNC_SCENARIOS[rng.int(0, SYNC_SCENARIOS.length - 1)] ?? 'drain'
  const heartbeatMs = [50, 100, 100, 200][rng.int(0, 3)] ?? 100
  return {
    kind,
    shape: {
      seed,
      peerCount: rng.int(3, 6),
      heartbeatMs,
      maxLatencyMs: rng.int(2, Math.max(3, Math.floor(heartbeatMs / 5))),
      batches: rng.int(3, 30),
    },
  }
}

export async function runSyncScenario(seed: number): Promise<SyncScenarioReport> {
  const { kind, shape } = syncScenarioFor(seed)
  const base = { kind, heartbeatMs: shape.heartbeatMs }
  try {
    const counts =
      kind === 'leader-away'
        ? await runLeaderAway(shape)
        : kind === 'lying-peer'
          ? await runLyingPeer(shape)
          : await runDrain(shape)
    return { ...base, ok: true, invariant: null, message: null, trace: [], counts }
  } catch (error) {
    const violation =
      error instanceof InvariantViolation
        ? error
        : new InvariantViolation('sim-error', 0, `the ${kind} scenario threw: ${String(error)}`)
    const trace = violation.details?.trace
    return {
      ...base,
      ok: false,
      invariant: violation.invariant,
      message: `${kind}: ${violation.message}`,
      trace: Array.isArray(trace) ? trace.map(String) : [],
      counts: {},
    }
  }
}

const n = (value: unknown): number => (typeof value === 'number' ? value : 0)

/** The summary's sync fields over every seed's scenario report. */
export function summarizeSyncScenarios(
  reports: readonly (SyncScenarioReport | undefined)[],
): Record<string, unknown> {
  const seedsByScenario: Record<string, number> = { 'leader-away': 0, 'lying-peer': 0, drain: 0 }
  let violations = 0
  let sessions = 0
  let sessionsFailed = 0
  let entriesSynced = 0
  let lies = 0
  let liarsAvoided = 0
  let drainLeaderlessMaxMs = 0
  let drainLeaderlessMaxHeartbeats = 0
  let drainFailoverMaxMs = 0
  let drainFailoverMaxHeartbeats = 0
  let drainHandoffs = 0
  let drainAckedEntries = 0
  for (const report of reports) {
    if (report === undefined) continue
    seedsByScenario[report.kind] = (seedsByScenario[report.kind] ?? 0) + 1
    if (!report.ok) violations += 1
    const c = report.counts
    sessions += n(c.sessions)
    sessionsFailed += n(c.sessionsFailed)
    entriesSynced += n(c.entriesSynced)
    lies += n(c.lies)
    if (c.liarAvoided === true) liarsAvoided += 1
    if (report.kind === 'drain' && report.ok) {
      drainLeaderlessMaxMs = Math.max(drainLeaderlessMaxMs, n(c.leaderlessMs))
      drainLeaderlessMaxHeartbeats = Math.max(
        drainLeaderlessMaxHeartbeats,
        n(c.leaderlessMs) / report.heartbeatMs,
      )
      drainFailoverMaxMs = Math.max(drainFailoverMaxMs, n(c.failoverMs))
      drainFailoverMaxHeartbeats = Math.max(
        drainFailoverMaxHeartbeats,
        n(c.failoverMs) / report.heartbeatMs,
      )
      drainHandoffs += n(c.handoffs)
      drainAckedEntries += n(c.ackedEntries)
    }
  }
  return {
    syncSeedsByScenario: seedsByScenario,
    syncScenarioViolations: violations,
    syncSessions: sessions,
    syncSessionsFailed: sessionsFailed,
    syncEntriesSynced: entriesSynced,
    syncLiesTold: lies,
    syncLiarsAvoided: liarsAvoided,
    drainHandoffs,
    drainAckedEntries,
    drainLeaderlessMaxMs,
    drainLeaderlessMaxHeartbeats: Math.round(drainLeaderlessMaxHeartbeats * 100) / 100,
    drainFailoverMaxMs,
    drainFailoverMaxHeartbeats: Math.round(drainFailoverMaxHeartbeats * 100) / 100,
  }
}
