/**
 * Every error class meshlog throws, for the error transfer: the page and the
 * worker install the same list, so an error thrown in the worker arrives as
 * an instance of the same class. A class missing here arrives as a plain
 * MeshlogError with the right name and code.
 */
import { CommitTimeoutError, WorkerCrashedError } from '../client/client-errors.js'
import { SlotUnavailableError } from '../client/peer-slot.js'
import { LoopClosedError, QueueFullError } from '../core/control/control-errors.js'
import {
  AbortedError,
  ClosedError,
  InvalidArgumentError,
  MeshlogError,
  TimeoutError,
} from '../core/errors.js'
import {
  ChainBrokenError,
  CorruptLogError,
  ForgedEntryError,
  HashMismatchError,
  OutboxFullError,
  RangeEvictedError,
  SeqConflictError,
  SeqGapError,
  StorageError,
  StorageFullError,
} from '../core/log/log-errors.js'
import { SendRefusedError } from '../core/node/frame-dispatcher.js'
import {
  AnnouncementFailedError,
  InboxFullError,
  InvalidTransitionError,
  NotLeaderError,
  RuntimeStoppedError,
  TransitionSignalError,
} from '../core/replication/replication-errors.js'
import {
  EpochAbortedError,
  EpochBusyError,
  EpochCancelledError,
  EpochDecodeError,
  EpochEncodeError,
  EpochRotationError,
  EpochStuckError,
  EpochTimedOutError,
} from '../core/sync/epoch/epoch-errors.js'
import {
  ChunkRejectedError,
  LocalTreeUnavailableError,
  NoSyncPeerError,
  PeerAvoidedError,
  ProofRejectedError,
  SyncRefusedError,
  SyncRequestTimeoutError,
  SyncSendFailedError,
} from '../core/sync/protocol/protocol-errors.js'
import {
  ChannelBusyError,
  LifecycleTransitionError,
  MailboxFullError,
  PeerSessionError,
  SessionFailedError,
  ShutdownFailedError,
  StartupFailedError,
  SyncNotStartedError,
} from '../core/sync/sync-errors.js'
import { DecodeError } from '../core/wire/decode-error.js'
import {
  DialError,
  DirectoryError,
  FramesAlreadyReadError,
  FrameTooLargeError,
  KeyStoreError,
  LinkProtocolError,
  SendQueueFullError,
  UnsupportedTransportError,
} from '../net/net-errors.js'
import { type ErrorClass, installErrorTransfer } from './error-transfer.js'

export const MESHLOG_ERROR_CLASSES: readonly ErrorClass[] = [
  MeshlogError,
  InvalidArgumentError,
  ClosedError,
  TimeoutError,
  AbortedError,
  SeqGapError,
  SeqConflictError,
  ChainBrokenError,
  ForgedEntryError,
  HashMismatchError,
  OutboxFullError,
  StorageFullError,
  CorruptLogError,
  RangeEvictedError,
  StorageError,
  SendRefusedError,
  InvalidTransitionError,
  TransitionSignalError,
  AnnouncementFailedError,
  RuntimeStoppedError,
  InboxFullError,
  NotLeaderError,
  DecodeError,
  QueueFullError,
  LoopClosedError,
  ChannelBusyError,
  MailboxFullError,
  SessionFailedError,
  SyncNotStartedError,
  LifecycleTransitionError,
  StartupFailedError,
  ShutdownFailedError,
  PeerSessionError,
  ProofRejectedError,
  ChunkRejectedError,
  SyncRefusedError,
  SyncRequestTimeoutError,
  SyncSendFailedError,
  PeerAvoidedError,
  NoSyncPeerError,
  LocalTreeUnavailableError,
  EpochRotationError,
  EpochTimedOutError,
  EpochCancelledError,
  EpochStuckError,
  EpochDecodeError,
  EpochEncodeError,
  EpochAbortedError,
  EpochBusyError,
  SlotUnavailableError,
  WorkerCrashedError,
  CommitTimeoutError,
  DialError,
  LinkProtocolError,
  FrameTooLargeError,
  SendQueueFullError,
  FramesAlreadyReadError,
  UnsupportedTransportError,
  DirectoryError,
  KeyStoreError,
]

let installed = false

/** Installs the error transfer for every meshlog error class. Idempotent. */
export function installMeshlogErrorTransfer(): void {
  if (installed) return
  installed = true
  installErrorTransfer(MESHLOG_ERROR_CLASSES)
}
