/**
 * Typed failures of an epoch rotation (seed 003's SyncManagerError epoch
 * variants). Each names the role it happened in, as the seed's do, in
 * `role` and `details.role`.
 */
import { MeshlogError, type MeshlogErrorOptions } from '../../errors.js'

export type EpochRole = 'coordinator' | 'participant'

export class EpochRotationError extends MeshlogError {
  override readonly name: string = 'EpochRotationError'
  override readonly code: string = 'ERR_EPOCH_ROTATION'
  readonly role: EpochRole

  constructor(message: string, role: EpochRole, options: MeshlogErrorOptions = {}) {
    super(message, { ...options, details: { ...options.details, role } })
    this.role = role
  }
}

/** seed 003 VmTimedOut: the deadline passed while waiting for confirmations or the commit. */
export class EpochTimedOutError extends EpochRotationError {
  override readonly name = 'EpochTimedOutError'
  override readonly code = 'ERR_EPOCH_TIMED_OUT'
}

/** seed 003 VmCancelled: cancelled locally (cancel(), an AbortSignal, stop()). */
export class EpochCancelledError extends EpochRotationError {
  override readonly name = 'EpochCancelledError'
  override readonly code = 'ERR_EPOCH_CANCELLED'
}

/**
 * seed 003 VmStuck: the rotation cannot progress: a peer it needs could not
 * be sent to, `maxSendFailures` times in a row.
 */
export class EpochStuckError extends EpochRotationError {
  override readonly name = 'EpochStuckError'
  override readonly code = 'ERR_EPOCH_STUCK'
}

/**
 * seed 003 ConfirmationDecode: a confirmation (or, at a participant, a
 * commit) that does not match the rotation it names: another epoch,
 * another replica set. `details.what` says which frame.
 */
export class EpochDecodeError extends EpochRotationError {
  override readonly name = 'EpochDecodeError'
  override readonly code = 'ERR_EPOCH_DECODE'
}

/** seed 003 ProposalEncode / CommitEncode / ConfirmationEncode: a frame could not be encoded. */
export class EpochEncodeError extends EpochRotationError {
  override readonly name = 'EpochEncodeError'
  override readonly code = 'ERR_EPOCH_ENCODE'
}

/** The other side ended the rotation (`details.reason`: refused, timed out, cancelled, ...). */
export class EpochAbortedError extends EpochRotationError {
  override readonly name = 'EpochAbortedError'
  override readonly code = 'ERR_EPOCH_ABORTED'
}

/** A rotation of this channel is already running on this peer. */
export class EpochBusyError extends EpochRotationError {
  override readonly name = 'EpochBusyError'
  override readonly code = 'ERR_EPOCH_BUSY'
}
