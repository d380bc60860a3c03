/**
 * A publisher's grip on the loop. The loop runs while at least one handle is
 * open (or until a shutdown event / stop()); when the last one closes, it
 * drains its backlog and exits. Closing is idempotent.
 */
import { LoopClosedError } from './control-errors.js'
import type { ControlEvent } from './control-events.js'
import type { EventInbox } from './event-inbox.js'

export class ControlHandle {
  readonly #inbox: EventInbox
  readonly #release: () => void
  #closed = false

  /** @internal Obtain handles from `ControlLoop.acquireHandle()`. */
  constructor(inbox: EventInbox, release: () => void) {
    this.#inbox = inbox
    this.#release = release
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Queues `event`, waiting for room. A wedged loop keeps this pending until
   * the loop exits; sources that must stay responsive use `publishTimeout` or
   * `tryPublish`, or pass a signal.
   */
  publish(event: ControlEvent, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError())
    return this.#inbox.push(event, options.signal)
  }

  /** Queues `event`, waiting at most `timeoutMs`; QueueFullError if the inbox stayed full. */
  publishTimeout(event: ControlEvent, timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError())
    return this.#inbox.pushWithin(event, timeoutMs)
  }

  /** Queues `event` now or throws QueueFullError / LoopClosedError. */
  tryPublish(event: ControlEvent): void {
    if (this.#closed) throw this.#closedError()
    this.#inbox.tryPush(event)
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#release()
  }

  #closedError(): LoopClosedError {
    return new LoopClosedError('this control handle is closed', {
      details: { reason: 'handle-closed' },
    })
  }
}
