/**
 * Per-channel replication counters and gauges (seed 001's channel metrics,
 * plus counts for every path the port adds). One instance lives on the
 * channel's coordinator; the runtime and the coordinator both write it.
 * `snapshot()` returns plain, cloneable data for the worker API.
 */
import type { FrameKind } from './dispatcher.js'
import type { NackReason } from './messages.js'
import { TRANSITION_SIGNALS, type TransitionSignal } from './transition-rules.js'

export const COUNTER_NAMES = [
  /** Estimated bytes of every SyncResponse this peer shipped as leader. */
  'syncBytesTotal',
  'syncRequestsSentTotal',
  'syncResponsesSentTotal',
  'syncResponsesAppliedTotal',
  'appliedEntriesTotal',
  'appliedBytesTotal',
  /** Chunks refused because an entry was not signed by its author (never persisted). */
  'forgedEntriesTotal',
  /** Chunks refused because an entry's hash does not match its contents (tampered payload). */
  'hashMismatchesTotal',
  /** Local tail moved forward past missing seqs (GapBeforeChunk or NACK bad-range). */
  'skipAheadTotal',
  'divergenceSuspectedTotal',
  /** Entries a replica cut because its leader's log does not have them (beyond the seed). */
  'divergentEntriesCutTotal',
  /** SyncRequests sent to check by hash that our tail is on the leader's chain. */
  'chainProbesTotal',
  /** The store refused an append for lack of space (the seed's AppendFailed). */
  'underCapacityTotal',
  'heartbeatsSentTotal',
  /** Early heartbeats a leader sent because its tail advanced. */
  'tailNoticesSentTotal',
  /** ... and members one was not sent to: the leader's last answer to them reached that tail. */
  'tailNoticesSkippedTotal',
  /** Requests for the next chunk sent before the current one was applied (beyond the seed). */
  'readAheadRequestsTotal',
  /** ... and answers to them dropped because the chunk before did not land as expected. */
  'readAheadDiscardedTotal',
  /** Requests from the end of a chunk that reached the leader's tail, sent before applying it: the leader parks them. */
  'parkAheadRequestsTotal',
  /** Leader: caught-up replicas' requests held for the next append, and those answered by one. */
  'requestsParkedTotal',
  'parkedServedByAppendTotal',
  /** Leader: milliseconds spent reading chunks for SyncRequests, and handing them to the transport (encode included). */
  'serveReadMsTotal',
  'serveSendMsTotal',
  /** Replica: milliseconds spent verifying and storing chunks. */
  'applyMsTotal',
  /** A tick's catch-up request not sent: one to the same leader, younger than a heartbeat, was still unanswered. */
  'tickPullsCoalescedTotal',
  'appendsGroupedTotal',
  /** SyncRequests not sent because the leader was in catch-up backoff. */
  'catchupBackoffSkipsTotal',
  'emptyResponseStrikesTotal',
  'localAppendsTotal',
  'localAppendedEntriesTotal',
  /** Transitions entering or leaving the leader role. */
  'leaderChangesTotal',
  /** Transitions driven by missed heartbeats (replica → candidate). */
  'electionThrashTotal',
  'electionsRunTotal',
  'invalidTransitionsTotal',
  'announcementFailuresTotal',
  /** The transport reported a member's link closed; its heartbeat state was dropped at once. */
  'peersUnreachableTotal',
  /** ... and it was the believed leader, so the replica failed over without the miss window. */
  'leaderLinkLostTotal',
  /** A handler threw something unexpected (store failure, bug); the event was dropped. */
  'handlerErrorsTotal',
  /** Leadership hand-offs this leader sent, and the ones that lapsed unanswered. */
  'handoffsSentTotal',
  'handoffsLapsedTotal',
  /** Hand-offs this replica took over from, and the ones it refused. */
  'handoffsAcceptedTotal',
  'handoffsRefusedTotal',
  /** Own appends signed before the loop whose reserved numbers went stale: renumbered and signed again in it. */
  'ownWritesResignedTotal',
  /** Appends that went into the outbox (no leader here to take them at once). */
  'pendingAppendsTotal',
  /** Propose frames sent to the believed leader, and the writes they carried. */
  'proposesSentTotal',
  'proposedWritesSentTotal',
  /** Leader: Propose frames taken, writes committed from them, and those refused. */
  'proposesReceivedTotal',
  'proposedWritesCommittedTotal',
  /** Already in the log (re-sent, re-proposed, delivered twice): not committed again. */
  'proposeDuplicatesTotal',
  /** An earlier write of the same author had not arrived: left for a later forward. */
  'proposeWaitingTotal',
  /** Outbox writes seen committed in the local log and dropped from the outbox. */
  'outboxCommittedTotal',
  /** Divergent suffixes cut from the local log, and the writes put back in the outbox. */
  'divergencesTotal',
  'reproposedWritesTotal',
] as const
export type CounterName = (typeof COUNTER_NAMES)[number]

export interface ReplicationMetricsSnapshot extends Readonly<Record<CounterName, number>> {
  readonly transitionsBySignal: Readonly<Record<TransitionSignal, number>>
  readonly nacksSent: Readonly<Record<NackReason, number>>
  readonly nacksReceived: Readonly<Record<NackReason, number>>
  readonly sendFailures: Readonly<Record<FrameKind, number>>
  /** Leader: staleness of the worst replica's last heartbeat, ms; null when unobserved. */
  readonly leaderLagMs: number | null
  /** Replica: staleness of the believed leader's last heartbeat, ms; null when unobserved. */
  readonly replicaLagMs: number | null
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>
}

const NACK_KEYS: readonly NackReason[] = [
  'not-leader',
  'bad-range',
  'backpressure',
  'channel-closed',
]
const SEND_KEYS: readonly FrameKind[] = [
  'heartbeat',
  'sync-request',
  'sync-response',
  'sync-nack',
  'propose',
  'leader-handoff',
]

export class ReplicationMetrics {
  readonly #counters = zeros(COUNTER_NAMES)
  readonly #transitions = zeros(TRANSITION_SIGNALS)
  readonly #nacksSent = zeros(NACK_KEYS)
  readonly #nacksReceived = zeros(NACK_KEYS)
  readonly #sendFailures = zeros(SEND_KEYS)
  #leaderLagMs: number | null = null
  #replicaLagMs: number | null = null

  add(name: CounterName, n = 1): void {
    this.#counters[name] += n
  }

  get(name: CounterName): number {
    return this.#counters[name]
  }

  recordTransition(signal: TransitionSignal): void {
    this.#transitions[signal] += 1
  }

  recordNackSent(reason: NackReason): void {
    this.#nacksSent[reason] += 1
  }

  recordNackReceived(reason: NackReason): void {
    this.#nacksReceived[reason] += 1
  }

  recordSendFailure(kind: FrameKind): void {
    this.#sendFailures[kind] += 1
  }

  recordLeaderLag(ms: number): void {
    this.#leaderLagMs = ms
  }

  recordReplicaLag(ms: number): void {
    this.#replicaLagMs = ms
  }

  snapshot(): ReplicationMetricsSnapshot {
    return {
      ...this.#counters,
      transitionsBySignal: { ...this.#transitions },
      nacksSent: { ...this.#nacksSent },
      nacksReceived: { ...this.#nacksReceived },
      sendFailures: { ...this.#sendFailures },
      leaderLagMs: this.#leaderLagMs,
      replicaLagMs: this.#replicaLagMs,
    }
  }
}
