/**
 * Verifiers keep each author's decoded (or imported) key, since one author
 * writes many entries; the cache is bounded, evicting the least recently
 * used author, so a flood of fake authors cannot grow it.
 */
import type { PeerId } from '../log/ids.js'

export const AUTHOR_KEY_CACHE_DEFAULT = 1024

export class AuthorKeyCache<K> {
  readonly #capacity: number
  readonly #keys = new Map<PeerId, K>()

  constructor(capacity = AUTHOR_KEY_CACHE_DEFAULT) {
    this.#capacity = Math.max(1, capacity)
  }

  get size(): number {
    return this.#keys.size
  }

  /** The author's key, made by `make` on a miss. */
  get(author: PeerId, make: (author: PeerId) => K): K {
    const hit = this.#keys.get(author)
    if (hit !== undefined) {
      // Re-insert: Map iteration order is the recency order.
      this.#keys.delete(author)
      this.#keys.set(author, hit)
      return hit
    }
    const made = make(author)
    if (this.#keys.size >= this.#capacity) {
      const oldest = this.#keys.keys().next().value as PeerId
      this.#keys.delete(oldest)
    }
    this.#keys.set(author, made)
    return made
  }
}
