/**
 * Sync sessions (seed 000), the sync manager (seed 003) and the channel
 * Merkle tree they verify with.
 */

export { ChannelMerkleIndex, type ChannelMerkleIndexOptions } from './channel-merkle-index.js'
export {
  emptyRoot,
  hashLeaf,
  hashNode,
  type TreeHead,
} from './merkle-hash.js'
export { MerkleLog } from './merkle-log.js'
export {
  type ConsistencyProof,
  type RangeProof,
  rootFromRange,
  verifyConsistency,
  verifyInclusion,
  verifyRange,
} from './merkle-proof.js'
export {
  type EntryRejectionReason,
  type EntryVerification,
  type MerkleComparison,
  MerkleVerifier,
  type RejectedEntry,
  type VerificationStats,
} from './merkle-verifier.js'
export type { PeerSyncState } from './peer-sync-states.js'
export {
  DEFAULT_MAX_CONCURRENT_SESSIONS,
  DEFAULT_SESSION_DEADLINE_MS,
  DEFAULT_SESSION_DRAIN_MS,
  SESSION_SUMMARY_INTERVAL_MS,
  SYNC_SESSION_MAILBOX_CAPACITY,
  SyncSessionActor,
  type SyncSessionActorOptions,
  type SyncSessionActorSnapshot,
  type SyncSessionActorState,
} from './session-actor.js'
export type {
  InitiatorJob,
  ResponderJob,
  SessionJob,
  SessionOutcome,
  SessionRunner,
  SubmitReceipt,
  SyncSessionResult,
} from './session-job.js'
export { type DropReason, type SyncSessionCounters, SyncSessionMetrics } from './session-metrics.js'
export {
  ChannelBusyError,
  LifecycleTransitionError,
  MailboxFullError,
  SessionFailedError,
  ShutdownFailedError,
  StartupFailedError,
  SyncNotStartedError,
} from './sync-errors.js'
export type { SyncManagerHealth, SyncServiceHealth, SyncServiceStatus } from './sync-health.js'
export {
  DEFAULT_STOP_DRAIN_MS,
  SyncManager,
  type SyncManagerEvents,
  type SyncManagerOptions,
  type SyncManagerSnapshot,
} from './sync-manager.js'
export { SyncManagerConfig } from './sync-manager-config.js'
export type { SyncManagerState } from './sync-manager-state.js'
export type { SyncRoundReport } from './sync-round.js'
export type { SessionActorSettings, SyncServiceMetrics } from './sync-service.js'
export { type ShutdownReport, TaskGroup } from './task-group.js'
