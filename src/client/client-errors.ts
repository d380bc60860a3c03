import { MeshlogError } from '../core/errors.js'

/**
 * `waitCommitted` gave up: the write was not seen committed within its
 * deadline. It is still pending (durable in the outbox) and will commit
 * once a leader is reachable; `details` names the write and the deadline.
 */
export class CommitTimeoutError extends MeshlogError {
  override readonly name = 'CommitTimeoutError'
  override readonly code = 'ERR_COMMIT_TIMEOUT'
}

/**
 * The replication worker died or stopped answering while a call was pending.
 * The call's outcome is unknown: an append may or may not have been
 * committed. The worker is restarted and resumes from IndexedDB; `details`
 * says why (`reason`) and which incarnation died (`generation`).
 */
export class WorkerCrashedError extends MeshlogError {
  override readonly name = 'WorkerCrashedError'
  override readonly code = 'ERR_WORKER_CRASHED'
}
