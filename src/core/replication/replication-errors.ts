import { MeshlogError } from '../errors.js'

/** `(from, to)` is not a transition of the role state machine under any signal. */
export class InvalidTransitionError extends MeshlogError {
  override readonly name = 'InvalidTransitionError'
  override readonly code = 'ERR_INVALID_TRANSITION'
}

/** `(from, to)` is a valid transition, but not under the signal given. */
export class TransitionSignalError extends MeshlogError {
  override readonly name = 'TransitionSignalError'
  override readonly code = 'ERR_TRANSITION_SIGNAL'
}

/**
 * The role changed, but announcing or withdrawing the chain afterwards
 * failed. The new role stands; only the announcement is missing.
 */
export class AnnouncementFailedError extends MeshlogError {
  override readonly name = 'AnnouncementFailedError'
  override readonly code = 'ERR_ANNOUNCEMENT_FAILED'
}

/** The replication runtime was cancelled (or never accepts work again). */
export class RuntimeStoppedError extends MeshlogError {
  override readonly name = 'RuntimeStoppedError'
  override readonly code = 'ERR_RUNTIME_STOPPED'
}

/** A bounded runtime queue (inbox lane or append backlog) is full; nothing was queued. */
export class InboxFullError extends MeshlogError {
  override readonly name = 'InboxFullError'
  override readonly code = 'ERR_INBOX_FULL'
}

/** Only the channel's leader appends; this peer is not it. */
export class NotLeaderError extends MeshlogError {
  override readonly name = 'NotLeaderError'
  override readonly code = 'ERR_NOT_LEADER'
}
