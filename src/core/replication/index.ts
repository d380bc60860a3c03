/**
 * seed 001's replication runtime: one ReplicationRuntime per replicated
 * channel, fed by a ReplicationInboundRouter and sending through a
 * ReplicationDispatcher. The pure pieces are exported for the simulator
 * and for tests that drive a single rule.
 */
export { BandwidthBudget, type BandwidthBudgetOptions } from './bandwidth-budget.js'
export { CatchupBackoff } from './catchup-backoff.js'
export {
  type ChainAnnouncer,
  type CoordinatorEvents,
  ReplicationCoordinator,
  type ReplicationCoordinatorOptions,
  type RoleChange,
} from './coordinator.js'
export { type DiskPressurePolicy, handleDiskPressure } from './disk-pressure.js'
export type { FrameKind, ReplicationDispatcher } from './dispatcher.js'
export { type ElectionOutcome, elect, electionTransition, type RttLookup } from './election.js'
export { FORWARD_BACKOFF_CAP_BEATS, ForwardSchedule } from './forward-schedule.js'
export { HeartbeatTracker } from './heartbeat-tracker.js'
export type { Inbound, PeerInbound } from './inbound.js'
export { ReplicationInboundRouter, type RoutableRuntime } from './inbound-router.js'
export {
  type PushResult,
  RUNTIME_INBOX_CAPACITY,
  RUNTIME_PRIORITY_INBOX_CAPACITY,
} from './inbox.js'
export type { AppendResult } from './leader-append.js'
export { type AppendOutcome, isPending, type PendingAppend } from './local-append.js'
export * from './messages.js'
export { ReplicationMetrics, type ReplicationMetricsSnapshot } from './metrics.js'
export { OutstandingRequests } from './outstanding-requests.js'
export {
  PROPOSE_MAX_BYTES,
  PROPOSE_MAX_ENTRIES,
  type Propose,
  proposeBatches,
} from './propose-message.js'
export { type ProposePlan, planProposals } from './propose-plan.js'
export { RecordingDispatcher } from './recording-dispatcher.js'
export * from './replication-errors.js'
export {
  ReplicationRuntime,
  type ReplicationRuntimeOptions,
  startReplicationRuntime,
} from './replication-runtime.js'
export type { CommittedWrite, ReplicationRuntimeEvents } from './runtime-events.js'
export type { ReplicationRuntimeSnapshot } from './runtime-snapshot.js'
export { type TickInputs, type TickOutcome, tick } from './tick.js'
export { TRANSITION_SIGNALS, type TransitionSignal } from './transition-rules.js'
