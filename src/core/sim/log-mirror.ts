/**
 * The checker's verified copy of one peer's log for one channel: per seq,
 * the entry hash and payload id. After every step `sync` brings it up to
 * date from the peer's disk (the MemoryLogBacking, read through a store of
 * the checker's own, so a crashed peer's disk is checked too) and checks
 * every entry it has not seen before (invariant 2, per log):
 *
 * - dense and hash-chained: `verifyEntries` from the tail seen last step
 *   (from GENESIS when the log starts at seq 0; from the first retained
 *   entry after a skip-ahead, whose predecessor is unknown here);
 * - genuine: its payload is a catalogued submission to this channel, sealed
 *   with the peer it was submitted to as author (a replica never re-seals;
 *   a forwarded write keeps its author);
 * - in author order: each author's writes follow one another, authorSeq
 *   by authorSeq, with no hole and none twice (the leader's dedupe rule);
 * - no duplicate: no payload id twice in one log.
 *
 * A log that lost entries (skip-ahead, truncation, eviction) is re-read
 * whole and counted as a reset.
 */
import { equals } from 'uint8arrays/equals'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { verifyEntries } from '../log/entry-chain.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import type { LogStore } from '../log/log-store.js'
import { InvariantViolation } from './invariant-violation.js'
import { type PayloadCatalog, payloadId } from './payload-catalog.js'

export type MirrorChange = 'none' | 'advanced' | 'reset'

export class LogMirror {
  readonly peer: PeerId
  readonly channel: ChannelId
  #firstSeq = 0
  #hashes: Uint8Array[] = []
  #ids: number[] = []
  #idSet = new Set<number>()
  #lastHash: Uint8Array = GENESIS_HASH
  /** Each author's last authorSeq seen in this log. */
  #authorLast = new Map<PeerId, number>()
  /** Payload ids evicted from the front of the log: still committed, no longer held. */
  readonly #evicted = new Set<number>()
  #historyKnown = true
  resets = 0

  constructor(peer: PeerId, channel: ChannelId) {
    this.peer = peer
    this.channel = channel
  }

  get firstSeq(): number {
    return this.#firstSeq
  }

  get nextSeq(): number {
    return this.#firstSeq + this.#hashes.length
  }

  get lastHash(): Uint8Array {
    return this.#lastHash
  }

  /** Hash of the entry at `seq`, when this log holds it. */
  hashAt(seq: number): Uint8Array | undefined {
    return this.#hashes[seq - this.#firstSeq]
  }

  holds(id: number): boolean {
    return this.#idSet.has(id)
  }

  /**
   * False once the log was re-read from a seq past 0 (after a skip-ahead,
   * say): what it held before that is unknown here.
   */
  get historyKnown(): boolean {
    return this.#historyKnown
  }

  /** True when `id` was in this log and left it by eviction from the front (still committed). */
  evicted(id: number): boolean {
    return this.#evicted.has(id)
  }

  /** Payload ids in seq order. */
  ids(): readonly number[] {
    return this.#ids
  }

  /** True when the log on disk is still what this mirror holds (cheap, synchronous). */
  isCurrent(store: LogStore): boolean {
    const state = store.state(this.channel)
    return (
      state.nextSeq === this.nextSeq &&
      state.firstSeq === this.#firstSeq &&
      equals(state.lastHash, this.#lastHash)
    )
  }

  async sync(
    store: LogStore,
    hasher: EntryHasher,
    catalog: PayloadCatalog,
    now: number,
  ): Promise<MirrorChange> {
    if (this.isCurrent(store)) return 'none'
    const state = store.state(this.channel)
    const last = this.nextSeq - 1
    const known = this.hashAt(last)
    if (known !== undefined && state.firstSeq <= last && state.nextSeq >= this.nextSeq) {
      // Grew (and maybe evicted from the front): the last entry seen must still be there.
      const [overlap, ...fresh] = await store.read(this.channel, last as Seq)
      if (overlap !== undefined && equals(overlap.hash, known)) {
        this.#dropBelow(state.firstSeq)
        this.#take(fresh, hasher, catalog, now, { nextSeq: this.nextSeq as Seq, lastHash: known })
        return 'advanced'
      }
    } else if (known === undefined && state.firstSeq === this.nextSeq) {
      // Was empty at this seq and grew from it.
      const fresh = await store.read(this.channel, state.firstSeq)
      const tail = state.firstSeq === 0 || this.resets === 0 ? this.#lastHash : undefined
      this.#take(fresh, hasher, catalog, now, {
        nextSeq: state.firstSeq,
        ...(tail === undefined ? {} : { lastHash: tail }),
      })
      return 'advanced'
    }
    this.resets += 1
    this.#firstSeq = state.firstSeq
    this.#hashes = []
    this.#ids = []
    this.#idSet = new Set()
    this.#lastHash = state.lastHash
    this.#authorLast = new Map()
    if (state.firstSeq > 0) this.#historyKnown = false
    const entries = await store.read(this.channel, state.firstSeq)
    // A log from seq 0 chains from GENESIS; after a skip the first predecessor is unknown.
    this.#take(entries, hasher, catalog, now, {
      nextSeq: state.firstSeq,
      ...(state.firstSeq === 0 ? { lastHash: GENESIS_HASH } : {}),
    })
    if (this.#hashes.length === 0) this.#lastHash = state.lastHash
    return 'reset'
  }

  #dropBelow(firstSeq: number): void {
    const drop = firstSeq - this.#firstSeq
    if (drop <= 0) return
    for (const id of this.#ids.slice(0, drop)) {
      this.#idSet.delete(id)
      this.#evicted.add(id)
    }
    this.#hashes = this.#hashes.slice(drop)
    this.#ids = this.#ids.slice(drop)
    this.#firstSeq = firstSeq
  }

  #take(
    entries: readonly Entry[],
    hasher: EntryHasher,
    catalog: PayloadCatalog,
    now: number,
    tail: { nextSeq: Seq; lastHash?: Uint8Array },
  ): void {
    const where = { peer: this.peer, channel: this.channel }
    try {
      verifyEntries(hasher, entries, tail)
    } catch (cause) {
      throw new InvariantViolation('log-validity', now, `${this.peer}/${this.channel}: ${cause}`, {
        ...where,
      })
    }
    for (const entry of entries) {
      const id = payloadId(entry.payload) ?? -1
      const last = this.#authorLast.get(entry.author)
      const problem =
        last !== undefined && entry.authorSeq !== last + 1
          ? `entry ${entry.seq}: ${entry.author}'s write ${entry.authorSeq} follows its write ${last}`
          : this.#idSet.has(id)
            ? `payload ${id} appears twice`
            : catalog.problem(this.channel, entry.author, entry.payload)
      if (problem !== undefined) {
        throw new InvariantViolation(
          'log-validity',
          now,
          `${this.peer}/${this.channel}: ${problem}`,
          {
            ...where,
            seq: entry.seq,
          },
        )
      }
      this.#hashes.push(entry.hash)
      this.#ids.push(id)
      this.#idSet.add(id)
      this.#authorLast.set(entry.author, entry.authorSeq)
      this.#lastHash = entry.hash
    }
  }
}
