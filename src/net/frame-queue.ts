/**
 * The FIFO of frames a link received and its reader has not taken yet. Its
 * size is bounded by the credit the link granted, not here; this only keeps
 * `shift()` O(1) without preallocating a ring for the worst case.
 */
export class FrameQueue {
  #items: Uint8Array[] = []
  #head = 0

  get length(): number {
    return this.#items.length - this.#head
  }

  push(frame: Uint8Array): void {
    this.#items.push(frame)
  }

  shift(): Uint8Array | undefined {
    if (this.#head === this.#items.length) return undefined
    const frame = this.#items[this.#head]
    this.#items[this.#head] = EMPTY
    this.#head++
    if (this.#head === this.#items.length) {
      this.#items = []
      this.#head = 0
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    return frame
  }

  clear(): void {
    this.#items = []
    this.#head = 0
  }
}

const EMPTY = new Uint8Array(0)
