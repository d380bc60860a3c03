/**
 * Errors a publisher sees. Both are recoverable by the caller: back off and
 * retry, drop the event, or stop publishing.
 */
import { MeshlogError } from '../errors.js'

/** The loop's event inbox stayed at capacity (immediately, or for the whole wait). */
export class QueueFullError extends MeshlogError {
  override readonly name = 'QueueFullError'
  override readonly code = 'ERR_QUEUE_FULL'
}

/** The loop has exited (shutdown, stop, or every handle released); nothing more is accepted. */
export class LoopClosedError extends MeshlogError {
  override readonly name = 'LoopClosedError'
  override readonly code = 'ERR_LOOP_CLOSED'
}
