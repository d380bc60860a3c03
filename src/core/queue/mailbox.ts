/**
 * A bounded, single-consumer mailbox: producers never wait (`trySend` answers
 * at once), the one consumer awaits `receive()`. After `close()` producers are
 * refused while the consumer still drains what was queued, then receives
 * `undefined`. This is the "dedicated loop" of seeds 000 and 003 without a
 * busy wait: the consumer sleeps on a promise that only a send or a close
 * resolves.
 */
import { BoundedQueue } from './bounded-queue.js'

export type SendOutcome = 'queued' | 'full' | 'closed'

export class Mailbox<T> {
  readonly #queue: BoundedQueue<T>
  #closed = false
  #wake: (() => void) | undefined

  constructor(capacity: number) {
    this.#queue = new BoundedQueue(capacity)
  }

  get capacity(): number {
    return this.#queue.capacity
  }

  get size(): number {
    return this.#queue.size
  }

  get isClosed(): boolean {
    return this.#closed
  }

  trySend(item: T): SendOutcome {
    if (this.#closed) return 'closed'
    if (!this.#queue.tryPush(item)) return 'full'
    this.#notify()
    return 'queued'
  }

  /** The oldest item; `undefined` once closed and drained. One consumer only. */
  async receive(): Promise<T | undefined> {
    for (;;) {
      if (this.#queue.size > 0) return this.#queue.shift()
      if (this.#closed) return undefined
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }

  /** Refuses further sends; queued items stay for the consumer to drain. Idempotent. */
  close(): void {
    this.#closed = true
    this.#notify()
  }

  #notify(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }
}
