/**
 * The runtime's two-lane inbox (seed 001, R-25). Heartbeats and
 * SyncRequests, which any peer can flood, go to the low lane; Shutdown,
 * SyncResponses and SyncNacks, bounded by our own in-flight requests, go to
 * the smaller priority lane, which the runtime always serves first. Both
 * lanes refuse rather than grow; a closed inbox refuses everything.
 */
import { BoundedQueue } from '../queue/bounded-queue.js'
import { type Inbound, isPriorityInbound } from './inbound.js'

export const RUNTIME_INBOX_CAPACITY = 1024
export const RUNTIME_PRIORITY_INBOX_CAPACITY = 128

export type PushResult = 'queued' | 'full' | 'closed'

export class ReplicationInbox {
  readonly #low: BoundedQueue<Inbound>
  readonly #priority: BoundedQueue<Inbound>
  #closed = false

  constructor(
    capacity = RUNTIME_INBOX_CAPACITY,
    priorityCapacity = RUNTIME_PRIORITY_INBOX_CAPACITY,
  ) {
    this.#low = new BoundedQueue(capacity)
    this.#priority = new BoundedQueue(priorityCapacity)
  }

  get isClosed(): boolean {
    return this.#closed
  }

  get lowSize(): number {
    return this.#low.size
  }

  get prioritySize(): number {
    return this.#priority.size
  }

  tryPush(event: Inbound): PushResult {
    if (this.#closed) return 'closed'
    const lane = isPriorityInbound(event) ? this.#priority : this.#low
    return lane.tryPush(event) ? 'queued' : 'full'
  }

  shiftPriority(): Inbound | undefined {
    return this.#priority.shift()
  }

  shiftLow(): Inbound | undefined {
    return this.#low.shift()
  }

  /** Refuses every later push; what is queued stays until drained. */
  close(): void {
    this.#closed = true
  }

  /** Removes everything still queued, priority lane first. */
  drain(): Inbound[] {
    return [...this.#priority.drain(), ...this.#low.drain()]
  }
}
