/**
 * The loop's bounded event inbox. Three ways in, as in the seed: `push`
 * waits for room, `pushWithin` waits at most a deadline (QueueFullError),
 * `tryPush` never waits. Waiting publishers are themselves bounded and are
 * admitted in FIFO order as the loop frees room; when the loop exits, every
 * waiter is rejected with LoopClosedError, so no publish promise hangs.
 */
import { BoundedQueue } from '../queue/bounded-queue.js'
import type { Clock } from '../time/clock.js'
import { LoopClosedError, QueueFullError } from './control-errors.js'
import type { ControlEvent } from './control-events.js'

interface Waiter {
  readonly event: ControlEvent
  readonly resolve: () => void
  readonly reject: (error: unknown) => void
}

export interface EventInboxOptions {
  readonly capacity: number
  readonly maxWaiters: number
  readonly clock: Clock
  /** Called after an event is queued, to wake the loop. */
  readonly onEvent: () => void
}

export class EventInbox {
  readonly #queue: BoundedQueue<ControlEvent>
  readonly #options: EventInboxOptions
  #waiters: Waiter[] = []
  #closed = false

  constructor(options: EventInboxOptions) {
    this.#options = options
    this.#queue = new BoundedQueue(options.capacity)
  }

  get size(): number {
    return this.#queue.size
  }

  get closed(): boolean {
    return this.#closed
  }

  tryPush(event: ControlEvent): void {
    if (this.#closed) throw new LoopClosedError('the control loop has exited')
    // Waiters exist only while the queue is full; they go first.
    if (this.#waiters.length > 0 || !this.#queue.tryPush(event)) {
      throw new QueueFullError('control loop inbox is full', {
        details: { capacity: this.#queue.capacity, type: event.type },
      })
    }
    this.#options.onEvent()
  }

  push(event: ControlEvent, signal?: AbortSignal): Promise<void> {
    return this.#wait(event, undefined, signal)
  }

  pushWithin(event: ControlEvent, timeoutMs: number): Promise<void> {
    return this.#wait(event, timeoutMs, undefined)
  }

  /** The oldest event; admits the first waiting publisher into the freed slot. */
  shift(): ControlEvent | undefined {
    const event = this.#queue.shift()
    if (event === undefined) return undefined
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      this.#queue.tryPush(waiter.event)
      waiter.resolve()
    }
    return event
  }

  /** Refuses everything from now on, rejects waiters, and drops what is queued; returns how many events were dropped. */
  close(): number {
    this.#closed = true
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter.reject(new LoopClosedError('the control loop has exited'))
    return this.#queue.drain().length + waiters.length
  }

  #wait(
    event: ControlEvent,
    timeoutMs: number | undefined,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    if (this.#closed) return Promise.reject(new LoopClosedError('the control loop has exited'))
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#waiters.length === 0 && this.#queue.tryPush(event)) {
      this.#options.onEvent()
      return Promise.resolve()
    }
    if (this.#waiters.length >= this.#options.maxWaiters) {
      return Promise.reject(
        new QueueFullError('too many publishers waiting for the control loop', {
          details: { maxWaiters: this.#options.maxWaiters, type: event.type },
        }),
      )
    }
    return new Promise((resolve, reject) => {
      let cancelTimer = () => {}
      const onAbort = () => settle(() => reject(signal?.reason))
      const settle = (finish: () => void) => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        cancelTimer()
        signal?.removeEventListener('abort', onAbort)
        finish()
      }
      const waiter: Waiter = {
        event,
        resolve: () =>
          settle(() => {
            this.#options.onEvent()
            resolve()
          }),
        reject: (error) => settle(() => reject(error)),
      }
      this.#waiters.push(waiter)
      if (timeoutMs !== undefined) {
        cancelTimer = this.#options.clock.setTimer(timeoutMs, () =>
          waiter.reject(
            new QueueFullError(`control loop inbox stayed full for ${timeoutMs} ms`, {
              details: { capacity: this.#queue.capacity, timeoutMs, type: event.type },
            }),
          ),
        )
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }
}
