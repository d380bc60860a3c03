/**
 * Errors specific to sync sessions and the sync manager. Deadlines, closure
 * and aborts reuse the core `TimeoutError`, `ClosedError` and `AbortedError`.
 */
import { MeshlogError, type MeshlogErrorOptions } from '../errors.js'
import type { PeerId } from '../log/ids.js'

/**
 * The synthetic failure a duplicate initiator receives: a session for the
 * same channel is already in flight on the actor.
 */
export class ChannelBusyError extends MeshlogError {
  override readonly name = 'ChannelBusyError'
  override readonly code = 'ERR_CHANNEL_BUSY'
}

/** A bounded mailbox refused work because it is at capacity. */
export class MailboxFullError extends MeshlogError {
  override readonly name = 'MailboxFullError'
  override readonly code = 'ERR_MAILBOX_FULL'
}

/** A sync session's work failed (the runner threw or rejected). */
export class SessionFailedError extends MeshlogError {
  override readonly name = 'SessionFailedError'
  override readonly code = 'ERR_SESSION_FAILED'
}

/** The sync manager was asked to sync while it is not running. */
export class SyncNotStartedError extends MeshlogError {
  override readonly name = 'SyncNotStartedError'
  override readonly code = 'ERR_SYNC_NOT_STARTED'
}

/** A lifecycle transition the state machine does not allow. */
export class LifecycleTransitionError extends MeshlogError {
  override readonly name = 'LifecycleTransitionError'
  override readonly code = 'ERR_LIFECYCLE_TRANSITION'
}

/** Starting the sync manager failed; the manager is now `failed`. */
export class StartupFailedError extends MeshlogError {
  override readonly name = 'StartupFailedError'
  override readonly code = 'ERR_STARTUP_FAILED'
}

/** Stopping the sync manager failed; the manager is now `failed`. */
export class ShutdownFailedError extends MeshlogError {
  override readonly name = 'ShutdownFailedError'
  override readonly code = 'ERR_SHUTDOWN_FAILED'
}

/**
 * A session failure that names the peer it happened with, so the manager can
 * account for it even when the runner chose the peer itself.
 */
export class PeerSessionError extends MeshlogError {
  override readonly name: string = 'PeerSessionError'
  override readonly code: string = 'ERR_PEER_SESSION'
  readonly peer: PeerId

  constructor(message: string, peer: PeerId, options: MeshlogErrorOptions = {}) {
    super(message, { ...options, details: { ...options.details, peer } })
    this.peer = peer
  }
}
