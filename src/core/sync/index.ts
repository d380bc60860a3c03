/**
 * Sync sessions (seed 000), the sync manager (seed 003), the channel
 * Merkle tree they verify with, the sync session protocol and epoch
 * rotation of channel membership.
 */

export { ChannelMerkleIndex, type ChannelMerkleIndexOptions } from './channel-merkle-index.js'
export {
  type CoordinatorInput,
  type CoordinatorState,
  newCoordinator,
  type RotationAction,
  type RotationTiming,
  stepCoordinator,
} from './epoch/coordinator-machine.js'
export { EPOCH_REFUSALS, type EpochRefusal } from './epoch/epoch-admission.js'
export type { EpochCommitted, EpochRecord } from './epoch/epoch-book.js'
export {
  EpochAbortedError,
  EpochBusyError,
  EpochCancelledError,
  EpochDecodeError,
  EpochEncodeError,
  type EpochRole,
  EpochRotationError,
  EpochStuckError,
  EpochTimedOutError,
} from './epoch/epoch-errors.js'
export {
  EPOCH_ABORT_REASONS,
  type EpochAbort,
  type EpochAbortReason,
  type EpochCommit,
  type EpochConfirm,
  type EpochPropose,
  MAX_REPLICA_SET_SIZE,
} from './epoch/epoch-messages.js'
export { EPOCH_DROPS, EpochRotation } from './epoch/epoch-rotation.js'
export type {
  EpochRotationEvents,
  EpochRotationOptions,
  RotateOptions,
} from './epoch/epoch-rotation-options.js'
export {
  newParticipant,
  type ParticipantInput,
  type ParticipantState,
  stepParticipant,
} from './epoch/participant-machine.js'
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
export { FetchBudget, type FetchBudgetOptions } from './protocol/fetch-budget.js'
export {
  buildHeadReply,
  type HeadJudgement,
  type HeadReply,
  judgeHeadReply,
} from './protocol/head-exchange.js'
export {
  ChunkRejectedError,
  LOCAL_FAILURE_CODES,
  LocalTreeUnavailableError,
  NoSyncPeerError,
  PEER_MISBEHAVIOUR_CODES,
  PeerAvoidedError,
  ProofRejectedError,
  SyncRefusedError,
  SyncRequestTimeoutError,
  SyncSendFailedError,
} from './protocol/protocol-errors.js'
export {
  defaultSyncProtocolLimits,
  type SyncProtocolLimits,
  syncProtocolLimits,
} from './protocol/protocol-limits.js'
export {
  PROTOCOL_DROP_REASONS,
  type ProtocolDropReason,
  type SyncProtocolCounters,
} from './protocol/protocol-metrics.js'
export {
  type AcceptInbound,
  ProtocolSessionRunner,
  type ProtocolSessionRunnerOptions,
} from './protocol/protocol-runner.js'
export type { SyncProtocolEvents } from './protocol/session-context.js'
export {
  MAX_PROOF_HASHES,
  SYNC_CLOSE_DETAIL_MAX_LENGTH,
  SYNC_CLOSE_REASONS,
  type SyncChunk,
  type SyncClose,
  type SyncCloseReason,
  type SyncFetch,
  type SyncHead,
  type SyncOpen,
} from './protocol/sync-messages.js'
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
  SessionVerdict,
  SubmitReceipt,
  SyncSessionResult,
} from './session-job.js'
export { type DropReason, type SyncSessionCounters, SyncSessionMetrics } from './session-metrics.js'
export {
  ChannelBusyError,
  LifecycleTransitionError,
  MailboxFullError,
  PeerSessionError,
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
