/**
 * The figures one run reports, gathered from its parts once it ends, and
 * the tally of what every node incarnation counted (collected as each one
 * stops, since a crash discards the node and its counters).
 *
 * The lost-acknowledged figures come from invariant 1's checker
 * (check-acked), which fails the run on any loss: they are 0 in every run
 * that passes, null when the run did not get that far.
 */
import type { PeerNode } from '../node/peer-node.js'
import type { AckedCheck } from './check-acked.js'
import type { BoundsChecker, BoundsSeen } from './check-bounds.js'
import type { ConvergenceChecker } from './check-convergence.js'
import type { LeaderChecker } from './check-leaders.js'
import type { LogChecker } from './check-logs.js'
import type { InboundAdversary } from './sim-adversary.js'
import type { FaultCounts, FaultInjector } from './sim-faults.js'
import type { NetworkCounters } from './sim-network.js'
import type { OfflineWriteCounts, OfflineWriteObserver } from './sim-offline-writes.js'
import type { SimPeer } from './sim-peer.js'
import type { ProposeReplayer } from './sim-propose-replay.js'
import type { ClientWorkload } from './sim-workload.js'
import type { Simulation } from './simulation.js'

export class NodeTally {
  decodeRejects = 0
  routeDrops = 0
  divergentEntriesCut = 0
  chainProbes = 0
  proposeDuplicates = 0
  reproposedWrites = 0
  divergences = 0
  readonly runtimeDrops: Record<string, number> = {}

  add(node: PeerNode): void {
    this.decodeRejects += node.decodeRejects.total
    this.routeDrops += node.router.drops.total
    for (const channel of node.channels) {
      const metrics = node.runtime(channel)?.metrics()
      if (metrics === undefined) continue
      this.divergentEntriesCut += metrics.divergentEntriesCutTotal
      this.chainProbes += metrics.chainProbesTotal
      this.proposeDuplicates += metrics.proposeDuplicatesTotal
      this.reproposedWrites += metrics.reproposedWritesTotal
      this.divergences += metrics.divergencesTotal
      for (const [reason, n] of Object.entries(metrics.drops)) {
        if (reason === 'total' || n === 0) continue
        this.runtimeDrops[reason] = (this.runtimeDrops[reason] ?? 0) + n
      }
    }
  }
}

export interface SimCounts extends FaultCounts, OfflineWriteCounts {
  readonly peers: number
  readonly channels: number
  readonly heartbeatMs: number
  readonly network: NetworkCounters
  readonly roleChanges: number
  readonly leaderChanges: number
  readonly dualLeaderWindows: number
  readonly longestDualLeaderMs: number
  readonly divergenceSuspected: number
  readonly diskPressureEvents: number
  readonly appendsSubmitted: number
  readonly appendAttempts: number
  readonly appendsAcked: number
  readonly ackedEntries: number
  readonly appendsFailed: Readonly<Record<string, number>>
  /** Acknowledged appends with an entry missing from the converged log (null: no convergence). */
  readonly lostAckedAppends: number | null
  readonly lostAckedEntries: number | null
  readonly unverifiableAckedEntries: number | null
  /** Entries in the converged log whose append was never acknowledged. */
  readonly unackedInLog: number | null
  /** Old Propose frames delivered again on purpose (sim-propose-replay). */
  readonly proposeReplays: number
  /** Forwarded writes a leader found already committed (re-sends, replays, re-proposals). */
  readonly proposeDuplicates: number
  /** Divergent suffixes cut, and the writes they put back in outboxes. */
  readonly divergences: number
  readonly reproposedWrites: number
  readonly forgedFrames: number
  readonly tamperedFrames: number
  readonly decodeRejects: number
  readonly routeDrops: number
  readonly runtimeDrops: Readonly<Record<string, number>>
  /** Entries replicas cut because their leader's log did not have them. */
  readonly divergentEntriesCut: number
  readonly chainProbes: number
  readonly logResets: number
  readonly prefixChecks: number
  readonly prefixUnverifiable: number
  readonly convergedAfterMs: number | null
  readonly maxQueues: BoundsSeen
}

export interface RunParts {
  readonly sim: Simulation
  readonly logs: LogChecker
  readonly leaders: LeaderChecker
  readonly bounds: BoundsChecker<SimPeer>
  readonly workload: ClientWorkload
  readonly faults: FaultInjector
  readonly adversary: InboundAdversary
  readonly convergence: ConvergenceChecker | undefined
  readonly acked: AckedCheck | undefined
  readonly offline: OfflineWriteObserver
  readonly replayer: ProposeReplayer
}

export function summarizeRun(parts: RunParts): SimCounts {
  const { sim, logs, leaders, bounds, workload, faults, adversary, convergence } = parts
  const s = sim.scenario
  return {
    peers: s.peers.length,
    channels: s.channels.length,
    heartbeatMs: s.heartbeatMs,
    network: { ...sim.net.counters },
    ...faults.counts,
    roleChanges: sim.events.roleChanges,
    leaderChanges: sim.events.electionsWon,
    dualLeaderWindows: leaders.windows,
    longestDualLeaderMs: leaders.longestWindowMs,
    divergenceSuspected: sim.events.divergenceSuspected,
    diskPressureEvents: sim.events.diskPressure,
    appendsSubmitted: workload.submitted,
    appendAttempts: workload.attempts,
    appendsAcked: workload.acked.length,
    ackedEntries: workload.acked.reduce((n, a) => n + a.ids.length, 0),
    appendsFailed: { ...workload.failed },
    lostAckedAppends: parts.acked?.lostAckedAppends ?? null,
    lostAckedEntries: parts.acked?.lostAckedEntries ?? null,
    unverifiableAckedEntries: parts.acked?.unverifiableAckedEntries ?? null,
    unackedInLog: parts.acked?.unackedInLog ?? null,
    ...parts.offline.counts,
    proposeReplays: parts.replayer.replays,
    proposeDuplicates: sim.tally.proposeDuplicates,
    divergences: sim.tally.divergences,
    reproposedWrites: sim.tally.reproposedWrites,
    forgedFrames: adversary.total,
    tamperedFrames: adversary.tampered,
    decodeRejects: sim.tally.decodeRejects,
    routeDrops: sim.tally.routeDrops,
    runtimeDrops: { ...sim.tally.runtimeDrops },
    divergentEntriesCut: sim.tally.divergentEntriesCut,
    chainProbes: sim.tally.chainProbes,
    logResets: logs.stats.resets,
    prefixChecks: logs.stats.prefixChecks,
    prefixUnverifiable: logs.stats.prefixUnverifiable,
    convergedAfterMs:
      convergence?.convergedAt === undefined
        ? null
        : convergence.convergedAt - convergence.healedAt,
    maxQueues: { ...bounds.maxSeen },
  }
}
