/**
 * A clock that moves only when told to. Timers fire in due order (ties in the
 * order they were set), each with `now()` equal to its due time.
 */
import type { Cancel, Clock } from './clock.js'

interface Timer {
  readonly due: number
  readonly order: number
  readonly fn: () => void
  cancelled: boolean
}

// setImmediate (Node) is a macrotask without setTimeout's clamping; browsers lack it.
const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate
const macrotask = (): Promise<void> =>
  new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)))

export class ManualClock implements Clock {
  #now: number
  #wallOffset: number
  #order = 0
  #timers: Timer[] = []

  constructor(options: { start?: number; wallStart?: number } = {}) {
    this.#now = options.start ?? 0
    this.#wallOffset = (options.wallStart ?? 1_700_000_000_000) - this.#now
  }

  now(): number {
    return this.#now
  }

  wallNow(): number {
    return this.#now + this.#wallOffset
  }

  setTimer(ms: number, fn: () => void): Cancel {
    const timer: Timer = {
      due: this.#now + Math.max(0, ms),
      order: this.#order++,
      fn,
      cancelled: false,
    }
    // Keep sorted by (due, order); insertion from the back is cheap for timers set in order.
    let i = this.#timers.length
    while (i > 0) {
      const prev = this.#timers[i - 1] as Timer
      if (prev.due < timer.due || (prev.due === timer.due && prev.order < timer.order)) break
      i--
    }
    this.#timers.splice(i, 0, timer)
    return () => {
      timer.cancelled = true
    }
  }

  /** Timers set and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length
  }

  /** Due time of the next live timer, if any. */
  nextDue(): number | undefined {
    return this.#timers.find((t) => !t.cancelled)?.due
  }

  /** Moves time forward by `ms`, firing due timers synchronously. */
  advance(ms: number): void {
    const target = this.#now + ms
    for (let timer = this.#takeDue(target); timer !== undefined; timer = this.#takeDue(target)) {
      this.#now = timer.due
      timer.fn()
    }
    // A timer may itself have advanced the clock past `target`; time never goes back.
    this.#now = Math.max(this.#now, target)
  }

  /**
   * Moves time forward by `ms`, letting promise chains started by each timer
   * settle (one macrotask) before the next timer fires.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.#now + ms
    await macrotask()
    for (let timer = this.#takeDue(target); timer !== undefined; timer = this.#takeDue(target)) {
      this.#now = timer.due
      timer.fn()
      await macrotask()
    }
    this.#now = Math.max(this.#now, target)
  }

  #takeDue(limit: number): Timer | undefined {
    while (this.#timers.length > 0) {
      const head = this.#timers[0] as Timer
      if (head.cancelled) {
        this.#timers.shift()
        continue
      }
      if (head.due > limit) return undefined
      this.#timers.shift()
      return head
    }
    return undefined
  }
}
