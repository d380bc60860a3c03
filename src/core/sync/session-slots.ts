/**
 * The concurrency limit on running sync sessions (seed 000: default 30), as a
 * FIFO semaphore whose waits are abortable, so one deadline can cover both
 * waiting for a slot and running. The number of waiters is bounded too: the
 * dispatcher asks `roomToWait()` before it admits another job, so a saturated
 * actor backs up into its mailbox (where overflow is counted) instead of into
 * an unbounded waiting list.
 */
import { InvalidArgumentError } from '../errors.js'

export type ReleaseSlot = () => void

interface Waiter {
  readonly grant: (release: ReleaseSlot) => void
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer`, { details: { value } })
  }
}

export class SessionSlots {
  readonly capacity: number
  readonly waitingCapacity: number
  #inUse = 0
  readonly #waiters: Waiter[] = []
  #roomWaiters: (() => void)[] = []

  constructor(capacity: number, waitingCapacity: number) {
    checkPositiveInteger('capacity', capacity)
    checkPositiveInteger('waitingCapacity', waitingCapacity)
    this.capacity = capacity
    this.waitingCapacity = waitingCapacity
  }

  get inUse(): number {
    return this.#inUse
  }

  get waiting(): number {
    return this.#waiters.length
  }

  /**
   * Resolves with a release function (idempotent) once a slot is held, or
   * rejects with `signal.reason` if the signal aborts first.
   */
  acquire(signal: AbortSignal): Promise<ReleaseSlot> {
    if (signal.aborted) return Promise.reject(signal.reason)
    if (this.#inUse < this.capacity && this.#waiters.length === 0) {
      this.#inUse++
      return Promise.resolve(this.#releaser())
    }
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener('abort', onAbort)
          resolve(release)
        },
      }
      const onAbort = () => {
        const index = this.#waiters.indexOf(waiter)
        if (index >= 0) this.#waiters.splice(index, 1)
        this.#notifyRoom()
        reject(signal.reason)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  /** Resolves once fewer than `waitingCapacity` acquirers wait, or when `signal` aborts. */
  roomToWait(signal: AbortSignal): Promise<void> {
    if (this.#waiters.length < this.waitingCapacity || signal.aborted) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const done = () => {
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
      this.#roomWaiters.push(done)
    })
  }

  #releaser(): ReleaseSlot {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#waiters.shift()
      if (next === undefined) {
        this.#inUse--
      } else {
        // The slot passes straight to the next waiter; inUse is unchanged.
        next.grant(this.#releaser())
        this.#notifyRoom()
      }
    }
  }

  #notifyRoom(): void {
    if (this.#waiters.length >= this.waitingCapacity) return
    const waiting = this.#roomWaiters
    this.#roomWaiters = []
    for (const wake of waiting) wake()
  }
}
