/**
 * A fixed-capacity ring that keeps the newest items: pushing past capacity
 * evicts the oldest. For "recent" surfaces (emissions, audit, logs, failures)
 * where losing the oldest is the intended bound, unlike BoundedQueue which
 * refuses the newest.
 */
export class RecentRing<T> {
  readonly capacity: number
  #items: (T | undefined)[]
  #head = 0
  #size = 0

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`ring capacity must be a positive integer, got ${capacity}`)
    }
    this.capacity = capacity
    this.#items = new Array(capacity)
  }

  get size(): number {
    return this.#size
  }

  /** Appends `item`; returns the evicted oldest item when the ring was full. */
  push(item: T): T | undefined {
    if (this.#size < this.capacity) {
      this.#items[(this.#head + this.#size) % this.capacity] = item
      this.#size++
      return undefined
    }
    const evicted = this.#items[this.#head]
    this.#items[this.#head] = item
    this.#head = (this.#head + 1) % this.capacity
    return evicted
  }

  /** Oldest first. */
  toArray(): T[] {
    const out: T[] = []
    for (let i = 0; i < this.#size; i++)
      out.push(this.#items[(this.#head + i) % this.capacity] as T)
    return out
  }
}
