/** Reads wire values, throwing DecodeError on anything out of shape. */
import { DecodeError } from './decode-error.js'

const textDecoder = new TextDecoder('utf-8', { fatal: true })

export class ByteReader {
  #offset = 0
  readonly #view: DataView

  readonly #data: Uint8Array

  constructor(data: Uint8Array) {
    this.#data = data
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  }

  get offset(): number {
    return this.#offset
  }

  get remaining(): number {
    return this.#data.byteLength - this.#offset
  }

  #take(n: number, what: string): number {
    if (n > this.remaining) {
      throw new DecodeError('truncated', `frame ends inside ${what}`, {
        offset: this.#offset,
        need: n,
      })
    }
    const at = this.#offset
    this.#offset += n
    return at
  }

  u8(what = 'a byte'): number {
    return this.#data[this.#take(1, what)] as number
  }

  /** Unsigned LEB128, at most a safe integer, in its shortest form. */
  varint(what = 'an integer'): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const byte = this.u8(what)
      value += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (byte === 0 && i > 0) {
          throw new DecodeError('bad-varint', `${what} is not in its shortest form`, {
            offset: this.#offset,
          })
        }
        if (!Number.isSafeInteger(value)) break
        return value
      }
      scale *= 128
    }
    throw new DecodeError('bad-varint', `${what} is too large`, { offset: this.#offset })
  }

  u64(what = 'a 64-bit integer'): bigint {
    return this.#view.getBigUint64(this.#take(8, what))
  }

  f64(what = 'a number'): number {
    return this.#view.getFloat64(this.#take(8, what))
  }

  /** `n` bytes as a view into the frame (no copy). */
  bytes(n: number, what = 'bytes'): Uint8Array {
    const at = this.#take(n, what)
    return this.#data.subarray(at, at + n)
  }

  /** Length-prefixed bytes, refusing lengths above `max` before reading them. */
  blob(max: number, what = 'bytes'): Uint8Array {
    const length = this.varint(`${what} length`)
    if (length > max) {
      throw new DecodeError('over-limit', `${what} of ${length} bytes exceeds ${max}`, {
        offset: this.#offset,
      })
    }
    return this.bytes(length, what)
  }

  /** Length-prefixed UTF-8 of at most `maxBytes`. */
  string(maxBytes: number, what = 'a string'): string {
    const raw = this.blob(maxBytes, what)
    try {
      return textDecoder.decode(raw)
    } catch {
      throw new DecodeError('bad-string', `${what} is not valid UTF-8`, { offset: this.#offset })
    }
  }

  /** Refuses leftover bytes after the last field. */
  end(): void {
    if (this.remaining !== 0) {
      throw new DecodeError('trailing-bytes', `${this.remaining} bytes after the last field`, {
        offset: this.#offset,
      })
    }
  }
}
