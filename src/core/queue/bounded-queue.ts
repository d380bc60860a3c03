/**
 * A FIFO with a fixed capacity: `tryPush` refuses instead of growing, so
 * every producer learns at once that it must drop (and count) or back off.
 */
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
    this.#items = new Array(capacity)
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
    this.#items[(this.#head + this.#size) % this.capacity] = item
    this.#size++
    return true
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined
    const item = this.#items[this.#head]
    this.#items[this.#head] = undefined
    this.#head = (this.#head + 1) % this.capacity
    this.#size--
    return item
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
