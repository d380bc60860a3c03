/**
 * Reconcile's output queue. The loop offers without ever waiting: a full
 * queue (or an executor that went away) drops the action and counts it by
 * reason, because a responsive reconcile matters more than any one action —
 * the next tick derives it again. The executor takes actions out.
 */
import { BoundedQueue } from '../queue/bounded-queue.js'
import { DropCounter } from '../queue/drop-counter.js'
import type { PendingAction } from './control-actions.js'

export type ActionDropReason = 'queue_full' | 'executor_closed'

export class ActionQueue {
  readonly drops = new DropCounter<ActionDropReason>(['queue_full', 'executor_closed'])
  readonly #queue: BoundedQueue<PendingAction>
  #waiters: ((action: PendingAction | undefined) => void)[] = []
  #closedByExecutor = false
  #ended = false

  constructor(capacity: number) {
    this.#queue = new BoundedQueue(capacity)
  }

  get capacity(): number {
    return this.#queue.capacity
  }

  get size(): number {
    return this.#queue.size
  }

  /** Loop side. True when queued; otherwise the drop is already counted. */
  offer(action: PendingAction): boolean {
    if (this.#closedByExecutor || this.#ended) {
      this.drops.record('executor_closed')
      return false
    }
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      waiter(action)
      return true
    }
    if (this.#queue.tryPush(action)) return true
    this.drops.record('queue_full')
    return false
  }

  /** Executor side: the oldest queued action, if any. */
  take(): PendingAction | undefined {
    return this.#queue.shift()
  }

  /** Executor side: the next action; undefined once the loop has ended and the queue is empty. */
  next(): Promise<PendingAction | undefined> {
    const action = this.#queue.shift()
    if (action !== undefined || this.#ended || this.#closedByExecutor)
      return Promise.resolve(action)
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Executor side: it is going away; later offers count as `executor_closed`. */
  close(): void {
    this.#closedByExecutor = true
    this.#releaseWaiters()
  }

  /** Loop side: no more actions will come; what is queued can still be taken. */
  end(): void {
    this.#ended = true
    this.#releaseWaiters()
  }

  #releaseWaiters(): void {
    const waiters = this.#waiters
    this.#waiters = []
    for (const waiter of waiters) waiter(undefined)
  }
}
