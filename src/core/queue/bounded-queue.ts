/**
 * A FIFO with a fixed capacity: `tryPush` refuses instead of growing past
 * it, so every producer learns at once that it must drop (and count) or back
 * off. The ring starts small and doubles up to the capacity as it fills: a
 * peer holds thousands of mostly empty inboxes, and preallocating each one's
 * full capacity made the heap (and the collector's work) grow with them.
 */
const INITIAL_SLOTS = 8

export class BoundedQueue<T> {
  readonly capacity: number
  #items: (T | undefined)[]
  #head = 0
  #size = 0

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
    this.#items = new Array(Math.min(capacity, INITIAL_SLOTS))
  }

  get size(): number {
    return this.#size
  }

  get isFull(): boolean {
    return this.#size === this.capacity
  }

  /** Appends `item`; false (and nothing stored) when full. */
  tryPush(item: T): boolean {
    if (this.#size === this.capacity) return false
    if (this.#size === this.#items.length) this.#grow()
    this.#items[(this.#head + this.#size) % this.#items.length] = item
    this.#size++
    return true
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) % this.#items.length
    this.#size--
    return item
  }

  /** Doubles the ring (up to the capacity), unrolling it so the oldest item is first. */
  #grow(): void {
    const length = this.#items.length
    const grown: (T | undefined)[] = new Array(Math.min(this.capacity, length * 2))
    for (let i = 0; i < this.#size; i++) grown[i] = this.#items[(this.#head + i) % length]
    this.#items = grown
    this.#head = 0
  }

  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[this.#head]
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const out: T[] = []
    while (this.#size > 0) out.push(this.shift() as T)
    return out
  }
}
