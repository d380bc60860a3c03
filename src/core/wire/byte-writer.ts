/** Appends wire values into a growing buffer. */
const textEncoder = new TextEncoder()

export class ByteWriter {
  #buffer: Uint8Array
  #view: DataView
  #length = 0

  constructor(initialCapacity = 256) {
    this.#buffer = new Uint8Array(initialCapacity)
    this.#view = new DataView(this.#buffer.buffer)
  }

  #reserve(n: number): number {
    const at = this.#length
    if (at + n > this.#buffer.byteLength) {
      const grown = new Uint8Array(Math.max(this.#buffer.byteLength * 2, at + n))
      grown.set(this.#buffer.subarray(0, at))
      this.#buffer = grown
      this.#view = new DataView(grown.buffer)
    }
    this.#length = at + n
    return at
  }

  u8(value: number): this {
    const at = this.#reserve(1)
    this.#buffer[at] = value
    return this
  }

  /** Unsigned LEB128 of a safe integer. */
  varint(value: number): this {
    let v = value
    while (v >= 0x80) {
      this.u8((v % 128) | 0x80)
      v = Math.floor(v / 128)
    }
    return this.u8(v)
  }

  u64(value: bigint): this {
    const at = this.#reserve(8)
    this.#view.setBigUint64(at, value)
    return this
  }

  f64(value: number): this {
    const at = this.#reserve(8)
    this.#view.setFloat64(at, value)
    return this
  }

  bytes(value: Uint8Array): this {
    // Reserve first: it may replace the buffer.
    const at = this.#reserve(value.byteLength)
    this.#buffer.set(value, at)
    return this
  }

  /** `length` bytes that `write` puts into `out` from `at` (where they go without a copy of their own). */
  fill(length: number, write: (out: Uint8Array, at: number) => void): this {
    const at = this.#reserve(length)
    write(this.#buffer, at)
    return this
  }

  /** Length-prefixed bytes. */
  blob(value: Uint8Array): this {
    return this.varint(value.byteLength).bytes(value)
  }

  /** Length-prefixed UTF-8. */
  string(value: string): this {
    return this.blob(textEncoder.encode(value))
  }

  /**
   * The bytes written, in a buffer of exactly that size (transferable): the
   * writer's own when it was made that size, else a copy. Write nothing
   * after: it could land in the bytes handed out.
   */
  finish(): Uint8Array {
    if (this.#length === this.#buffer.byteLength) return this.#buffer
    return this.#buffer.slice(0, this.#length)
  }
}
