/**
 * The frames that arrived for one session, waiting for it to take them. The
 * network pushes without waiting (a full inbox refuses, and the caller
 * counts the drop); the session takes one at a time with a timeout, so no
 * wait outlives its deadline.
 */

import { BoundedQueue } from '../../queue/bounded-queue.js'
import type { Clock } from '../../time/clock.js'

export class SessionInbox<T> {
  readonly #queue: BoundedQueue<T>
  readonly #clock: Clock
  #wake: (() => void) | undefined
  #closed = false

  constructor(capacity: number, clock: Clock) {
    this.#queue = new BoundedQueue(capacity)
    this.#clock = clock
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** False when the inbox is full or closed; nothing is kept then. */
  push(item: T): boolean {
    if (this.#closed || !this.#queue.tryPush(item)) return false
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
    return true
  }

  /**
   * The oldest frame; undefined when none arrives within `timeoutMs` or the
   * inbox closes. Rejects with the signal's reason when it aborts.
   */
  async next(timeoutMs: number, signal: AbortSignal): Promise<T | undefined> {
    const deadline = this.#clock.now() + timeoutMs
    for (;;) {
      if (signal.aborted) throw signal.reason
      if (this.#queue.size > 0) return this.#queue.shift()
      const remaining = deadline - this.#clock.now()
      if (this.#closed || remaining <= 0) return undefined
      await new Promise<void>((resolve) => {
        const done = () => {
          cancel()
          signal.removeEventListener('abort', done)
          if (this.#wake === done) this.#wake = undefined
          resolve()
        }
        const cancel = this.#clock.setTimer(remaining, done)
        signal.addEventListener('abort', done, { once: true })
        this.#wake = done
      })
    }
  }

  /** Wakes a waiting `next` (which then returns what is left, or undefined). Idempotent. */
  close(): void {
    this.#closed = true
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
