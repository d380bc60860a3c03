/** The mesh control loop (seed 002): the worker's supervisor, one per peer. */

export { type ActionDropReason, ActionQueue } from './action-queue.js'
export {
  type AdminCommand,
  type AdminCommandType,
  adminCommitSigningPayload,
  isEmergencyCommand,
  normalizeAdminCommand,
  type SignedAdminCommit,
} from './admin-commands.js'
export type { AdminAuditRecord, AdminOutcome, AuditedCommand, SyncAborter } from './admin-gate.js'
export type { AdminVerdict, AdminVerifier, AdminVerifyRequest } from './admin-verifier.js'
export type { Chained } from './chained-record-ring.js'
export type {
  ControlAction,
  ControlActionKind,
  DrainReason,
  PendingAction,
  StopReason,
} from './control-actions.js'
export {
  type ControlConfig,
  DEFAULT_CONTROL_CONFIG,
  EVENTS_PER_TICK,
  resolveControlConfig,
} from './control-config.js'
export { LoopClosedError, QueueFullError } from './control-errors.js'
export type {
  ControlEvent,
  ControlEventType,
  PeerHealth,
  RuntimeRole,
} from './control-events.js'
export { ControlHandle } from './control-handle.js'
export { ControlLoop } from './control-loop.js'
export type {
  ControlLoopEvents,
  ControlLoopExit,
  ControlLoopExitReason,
  ControlLoopOptions,
  SnapshotReader,
} from './control-loop-options.js'
export type {
  ChannelView,
  ControlCounters,
  ControlSnapshot,
  EmittedAction,
  PeerView,
} from './control-snapshot.js'
export type { MaintenanceState } from './control-state.js'
export type { LogRingRecord } from './event-records.js'
export type { FailureRecord } from './failure-log.js'
export type { ChainLink, ChainSink, HashChainCounters } from './hash-chain.js'
export {
  type HealthProbe,
  type HealthSample,
  type InventoryProbe,
  type InventorySample,
  type LocalityProbe,
  type PeerInventory,
  type ProbeCounts,
  ProbeRegistry,
  type RttSample,
} from './probes.js'
export { reconcile, recordQueuedAction } from './reconcile.js'
export {
  type RecoveryEvent,
  type RecoveryHandler,
  RecoveryRegistry,
  type RecoveryView,
} from './recovery-registry.js'
