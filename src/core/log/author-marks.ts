/**
 * Per-author high-water marks of one channel's log: the highest authorSeq
 * each author has in it. A leader dedupes forwarded writes against them
 * (an authorSeq at or below the mark is already committed). Both stores keep
 * them beside the log and change them in the same atomic write as the log,
 * so a restart or a truncation never leaves them out of step.
 *
 * Authors commit in authorSeq order, so after a truncation an author's mark
 * is just below the first of its entries that were cut.
 *
 * Bounded: past `capacity` authors the least recently written is forgotten
 * (counted). A forgotten author starts again from "no mark".
 */
import type { PeerId } from './ids.js'

/** `authorMark` of an author with nothing in the log. */
export const NO_MARK = -1
export const MAX_AUTHOR_MARKS_DEFAULT = 65_536
/** Pending writes one channel's outbox holds before new appends are refused. */
export const OUTBOX_CAPACITY_DEFAULT = 10_000

export interface MarkChanges {
  /** Authors whose mark is set (or raised, or lowered) to this value. */
  readonly set: ReadonlyMap<PeerId, number>
  /** Authors whose mark is forgotten (cut below their first entry, or evicted). */
  readonly removed: readonly PeerId[]
  /** How many of `removed` were evicted for room. */
  readonly evicted: number
}

interface AuthoredEntry {
  readonly author: PeerId
  readonly authorSeq: number
}

export class AuthorMarks {
  readonly capacity: number
  /** Insertion order is write order: the first key is the least recently written. */
  readonly #marks = new Map<PeerId, number>()
  #evicted = 0

  constructor(capacity = MAX_AUTHOR_MARKS_DEFAULT) {
    this.capacity = capacity
  }

  get size(): number {
    return this.#marks.size
  }

  /** Authors forgotten for room since this object was made. */
  get evicted(): number {
    return this.#evicted
  }

  get(author: PeerId): number {
    return this.#marks.get(author) ?? NO_MARK
  }

  entries(): IterableIterator<[PeerId, number]> {
    return this.#marks.entries()
  }

  /** The changes appending `entries` makes; nothing changes until `apply`. */
  planAppend(entries: readonly AuthoredEntry[]): MarkChanges {
    const set = new Map<PeerId, number>()
    for (const { author, authorSeq } of entries) {
      const current = set.get(author) ?? this.get(author)
      if (authorSeq > current) set.set(author, authorSeq)
    }
    const fresh = [...set.keys()].filter((a) => !this.#marks.has(a)).length
    const over = this.#marks.size + fresh - this.capacity
    const removed: PeerId[] = []
    if (over > 0) {
      for (const author of this.#marks.keys()) {
        if (removed.length >= over) break
        if (!set.has(author)) removed.push(author)
      }
    }
    return { set, removed, evicted: removed.length }
  }

  /** The changes cutting `cut` (the log's suffix) makes. */
  planTruncate(cut: readonly AuthoredEntry[]): MarkChanges {
    const lowest = new Map<PeerId, number>()
    for (const { author, authorSeq } of cut) {
      const current = lowest.get(author)
      if (current === undefined || authorSeq < current) lowest.set(author, authorSeq)
    }
    const set = new Map<PeerId, number>()
    const removed: PeerId[] = []
    for (const [author, first] of lowest) {
      if (first - 1 >= this.get(author)) continue
      if (first - 1 <= NO_MARK) removed.push(author)
      else set.set(author, first - 1)
    }
    return { set, removed, evicted: 0 }
  }

  apply(changes: MarkChanges): void {
    for (const author of changes.removed) this.#marks.delete(author)
    for (const [author, mark] of changes.set) {
      this.#marks.delete(author)
      this.#marks.set(author, mark)
    }
    this.#evicted += changes.evicted
  }

  /** Restores a persisted mark (at open). */
  load(author: PeerId, mark: number): void {
    this.#marks.set(author, mark)
  }
}

/** Orders outbox entries by author, then authorSeq: the order they are forwarded in. */
export function compareWriteKeys(a: AuthoredEntry, b: AuthoredEntry): number {
  if (a.author !== b.author) return a.author < b.author ? -1 : 1
  return a.authorSeq - b.authorSeq
}
