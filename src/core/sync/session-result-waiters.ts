/**
 * Matches initiator results coming back from the session actor to whoever
 * submitted the job, by job id (a channel can see a duplicate initiator's
 * synthetic failure while its real session runs, so the channel alone would
 * wake the wrong waiter).
 */
import type { SyncSessionResult } from './session-job.js'

export class SessionResultWaiters {
  readonly #waiting = new Map<number, (result: SyncSessionResult) => void>()

  get size(): number {
    return this.#waiting.size
  }

  /** The result of job `jobId`; rejects with the signal's reason if it aborts first. */
  wait(jobId: number, signal?: AbortSignal): Promise<SyncSessionResult> {
    return new Promise<SyncSessionResult>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason)
        return
      }
      const onAbort = () => {
        this.#waiting.delete(jobId)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiting.set(jobId, (result) => {
        signal?.removeEventListener('abort', onAbort)
        resolve(result)
      })
    })
  }

  /** Wakes the job's waiter; false when nobody waits for it. */
  deliver(result: SyncSessionResult): boolean {
    const wake = this.#waiting.get(result.jobId)
    if (wake === undefined) return false
    this.#waiting.delete(result.jobId)
    wake(result)
    return true
  }
}
