/**
 * The calls a client has made to its worker and not seen settle. Each is
 * raced against its deadline and AbortSignal (call-deadline.ts) and
 * remembers which worker incarnation it was sent to, so a crash rejects
 * exactly the calls that died with that worker.
 */
import type { Clock } from '../core/time/clock.js'
import { withDeadline } from './call-deadline.js'
import { WorkerCrashedError } from './client-errors.js'

export interface PendingCall {
  /** The incarnation the call was sent to; undefined while it waits for one. */
  generation: number | undefined
  readonly reject: (error: unknown) => void
}

export interface CallCounters {
  readonly pending: number
  readonly calls: number
  readonly timedOut: number
  readonly aborted: number
  readonly crashed: number
}

export class PendingCalls {
  readonly #clock: Clock
  readonly #pending = new Set<PendingCall>()
  readonly #counts = { calls: 0, timedOut: 0, aborted: 0, crashed: 0 }

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /**
   * Tracks a call: `start` sends it (now or later), settling it through
   * `resolve`/`reject`; the result also rejects at the deadline or abort.
   */
  track<T>(
    label: string,
    options: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
    start: (
      call: PendingCall,
      resolve: (value: T) => void,
      reject: (error: unknown) => void,
    ) => void,
  ): Promise<T> {
    this.#counts.calls += 1
    let entry: PendingCall | undefined
    const work = new Promise<T>((resolve, reject) => {
      const call: PendingCall = { generation: undefined, reject }
      entry = call
      this.#pending.add(call)
      start(call, resolve, reject)
    })
    return withDeadline(label, work, options, this.#clock)
      .catch((error: unknown) => {
        const name = (error as { name?: unknown } | null)?.name
        if (name === 'TimeoutError') this.#counts.timedOut += 1
        else if (name === 'AbortedError') this.#counts.aborted += 1
        else if (error instanceof WorkerCrashedError) this.#counts.crashed += 1
        throw error
      })
      .finally(() => {
        if (entry !== undefined) this.#pending.delete(entry)
      })
  }

  /** Whether `call` is still waiting (not settled, not rejected). */
  has(call: PendingCall): boolean {
    return this.#pending.has(call)
  }

  /** Rejects (and forgets) every pending call `which` selects. */
  reject(which: (call: PendingCall) => boolean, error: unknown): void {
    for (const call of [...this.#pending]) {
      if (!which(call)) continue
      this.#pending.delete(call)
      call.reject(error)
    }
  }

  counters(): CallCounters {
    return { pending: this.#pending.size, ...this.#counts }
  }
}
