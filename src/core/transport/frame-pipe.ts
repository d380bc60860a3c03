/**
 * One direction of a link: frames pushed in by a transport, pulled out by an
 * async iterator, in order. `push` reports whether the buffer is below its
 * high-water mark; `whenWritable()` resolves once the reader has drained it
 * below again, which is how a sender feels backpressure.
 */
import { ClosedError } from '../errors.js'

export class FramePipe {
  readonly highWaterMark: number
  #frames: Uint8Array[] = []
  #head = 0
  #closed = false
  #error: Error | undefined
  #reader: (() => void) | undefined
  #writers: (() => void)[] = []

  constructor(highWaterMark = 64) {
    this.highWaterMark = highWaterMark
  }

  get buffered(): number {
    return this.#frames.length - this.#head
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** Adds a frame; false once the buffer is at or above the high-water mark. Throws when closed. */
  push(frame: Uint8Array): boolean {
    if (this.#closed) throw this.#error ?? new ClosedError('the link is closed')
    this.#frames.push(frame)
    this.#wakeReader()
    return this.buffered < this.highWaterMark
  }

  /** Resolves when the buffer is below the high-water mark (or the pipe closed). */
  whenWritable(): Promise<void> {
    if (this.#closed || this.buffered < this.highWaterMark) return Promise.resolve()
    return new Promise((resolve) => this.#writers.push(resolve))
  }

  /** Ends the pipe: the reader gets what is buffered, then stops (or throws `error`). */
  close(error?: Error): void {
    if (this.#closed) return
    this.#closed = true
    this.#error = error
    this.#wakeReader()
    for (const wake of this.#writers.splice(0)) wake()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      if (this.buffered > 0) {
        const frame = this.#frames[this.#head] as Uint8Array
        this.#frames[this.#head] = undefined as unknown as Uint8Array
        this.#head++
        if (this.#head > 1024 && this.#head * 2 > this.#frames.length) {
          this.#frames = this.#frames.slice(this.#head)
          this.#head = 0
        }
        if (this.buffered < this.highWaterMark) for (const wake of this.#writers.splice(0)) wake()
        yield frame
        continue
      }
      if (this.#closed) {
        if (this.#error !== undefined) throw this.#error
        return
      }
      await new Promise<void>((resolve) => {
        this.#reader = resolve
      })
    }
  }

  #wakeReader(): void {
    const wake = this.#reader
    this.#reader = undefined
    wake?.()
  }
}
