/**
 * A growable column of 32-byte hashes packed in one buffer: one Uint8Array
 * object per hash would cost ~100 bytes of V8 overhead on top of the 32 the
 * hash needs. Capacity doubles, so a column wastes at most half its buffer.
 */
import { HASH_BYTES } from '../log/entry.js'

const INITIAL_CAPACITY = 8

export class HashColumn {
  #bytes = new Uint8Array(INITIAL_CAPACITY * HASH_BYTES)
  #length = 0

  get length(): number {
    return this.#length
  }

  /** Bytes held by the buffer, used or not. */
  get capacityBytes(): number {
    return this.#bytes.byteLength
  }

  push(hash: Uint8Array): void {
    const offset = this.#length * HASH_BYTES
    if (offset + HASH_BYTES > this.#bytes.byteLength) {
      const grown = new Uint8Array(this.#bytes.byteLength * 2)
      grown.set(this.#bytes)
      this.#bytes = grown
    }
    this.#bytes.set(hash, offset)
    this.#length++
  }

  /** A view of hash `index`; valid until the next push. Callers must not write to it. */
  at(index: number): Uint8Array {
    const offset = index * HASH_BYTES
    return this.#bytes.subarray(offset, offset + HASH_BYTES)
  }

  truncate(length: number): void {
    this.#length = Math.min(this.#length, length)
  }
}
