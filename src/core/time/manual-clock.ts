/**
 * A clock that moves only when told to. Timers fire in due order (ties in the
 * order they were set), each with `now()` equal to its due time.
 *
 * Pending timers sit in a binary min-heap on (due, order): setting, firing
 * and cancelling cost O(log n). (A sorted array with insertion from the back
 * cost O(n) per timer due before the last one, which made the simulator
 * quadratic in the number of channels: a frame due in 5 ms walked past
 * every channel's heartbeat timer. Found by `npm run bench:sim`.)
 */
import type { Cancel, Clock } from './clock.js'

interface Timer {
  readonly due: number
  readonly order: number
  readonly fn: () => void
  state: 'pending' | 'cancelled' | 'fired'
}

// setImmediate (Node) is a macrotask without setTimeout's clamping; browsers lack it.
const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate
const macrotask = (): Promise<void> =>
  new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)))

const before = (a: Timer, b: Timer): boolean =>
  a.due < b.due || (a.due === b.due && a.order < b.order)

export class ManualClock implements Clock {
  #now: number
  #wallOffset: number
  #order = 0
  /** Min-heap on (due, order); cancelled timers stay until they reach the top. */
  readonly #heap: Timer[] = []
  #pending = 0

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
      state: 'pending',
    }
    this.#push(timer)
    this.#pending += 1
    return () => {
      if (timer.state !== 'pending') return
      timer.state = 'cancelled'
      this.#pending -= 1
    }
  }

  /** Timers set and not yet fired or cancelled. */
  pendingTimers(): number {
    return this.#pending
  }

  /** Due time of the next live timer, if any. */
  nextDue(): number | undefined {
    this.#dropCancelled()
    return this.#heap[0]?.due
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
    this.#dropCancelled()
    const head = this.#heap[0]
    if (head === undefined || head.due > limit) return undefined
    this.#pop()
    head.state = 'fired'
    this.#pending -= 1
    return head
  }

  #dropCancelled(): void {
    while (this.#heap[0]?.state === 'cancelled') this.#pop()
  }

  #push(timer: Timer): void {
    const heap = this.#heap
    let i = heap.length
    heap.push(timer)
    while (i > 0) {
      const parent = (i - 1) >> 1
      const above = heap[parent] as Timer
      if (!before(timer, above)) break
      heap[i] = above
      i = parent
    }
    heap[i] = timer
  }

  #pop(): void {
    const heap = this.#heap
    const last = heap.pop() as Timer
    if (heap.length === 0) return
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child =
        right < heap.length && before(heap[right] as Timer, heap[left] as Timer) ? right : left
      if (!before(heap[child] as Timer, last)) break
      heap[i] = heap[child] as Timer
      i = child
    }
    heap[i] = last
  }
}
