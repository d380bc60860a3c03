/**
 * LogStore on IndexedDB, one database per peer slot.
 *
 * Entries are stored as packed segments (segment-codec.ts), a record per run
 * of entries keyed [channel, firstSeq]. Writes go through one queue:
 * appends waiting together are group-committed in a single strict-durability
 * transaction (one segment per channel), so a thousand concurrent one-entry
 * appends cost a few transactions, not a thousand. Each append is checked on
 * its own first, so a bad batch fails alone. An append resolves only after
 * `tx.done`; a QuotaExceededError (which may surface only as the
 * transaction's error) becomes StorageFullError and the previous state stays.
 *
 * The committed state of every channel and the list of its segments' first
 * seqs live in memory (loaded at open), so `state()` is synchronous and a
 * read knows which records to fetch.
 */
import { type IDBPObjectStore, type IDBPTransaction, openDB } from 'idb'
import { equals } from 'uint8arrays/equals'
import { ClosedError } from '../core/errors.js'
import {
  AuthorMarks,
  compareWriteKeys,
  MAX_AUTHOR_MARKS_DEFAULT,
  type MarkChanges,
  OUTBOX_CAPACITY_DEFAULT,
} from '../core/log/author-marks.js'
import {
  applyAppend,
  applyAppendRun,
  applySkipTo,
  checkReadRange,
  checkRetentionPolicy,
  checkTruncate,
  emptyChannelState,
  SweepPlan,
} from '../core/log/channel-state.js'
import { authorProofOf, type Entry } from '../core/log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../core/log/entry-hasher.js'
import { EntryRun } from '../core/log/entry-run.js'
import type { ChannelId, PeerId, Seq } from '../core/log/ids.js'
import { CorruptLogError, OutboxFullError } from '../core/log/log-errors.js'
import type {
  ChannelState,
  LogStore,
  OutboxEntry,
  PutOutboxOptions,
  ReadOptions,
  RetentionPolicy,
  SweepResult,
  WriteKey,
} from '../core/log/log-store.js'
import {
  decodeSegment,
  encodeSegment,
  extendSegment,
  parseSegment,
  runOfSegment,
  type SegmentRecord,
  segmentOfRun,
} from '../core/log/segment-codec.js'
import { toStorageError } from './idb-errors.js'
import {
  AUTHOR_MARKS_META_KEY,
  type ChannelRecord,
  type MeshlogDb,
  type MeshlogDbSchema,
  type OutboxRecord,
  SCHEMA_VERSION,
  upgradeSchema,
} from './idb-schema.js'
import { RecentSegments } from './recent-segments.js'
import { SegmentIndex } from './segment-index.js'

/** Bytes of recently written segment records kept in memory for reads (8 MiB). */
export const RECENT_SEGMENT_BYTES_DEFAULT = 8 << 20

export interface IdbLogStoreOptions {
  /** One database per peer slot, e.g. `meshlog-slot-0`. */
  readonly databaseName: string
  readonly hasher?: EntryHasher
  /** Largest segment written, in entries (default 4096). */
  readonly maxSegmentEntries?: number
  /** Largest segment written, in payload bytes (default 1 MiB). */
  readonly maxSegmentBytes?: number
  /**
   * Segments smaller than this many entries (default 256) at a channel's
   * end are merged with the next append when that append is as small, as a
   * binary counter carries (see `#writeSegments`), so one-entry appends do
   * not leave one record per entry behind.
   */
  readonly mergeBelowEntries?: number
  /** As `mergeBelowEntries`, in payload bytes (default 64 KiB). */
  readonly mergeBelowBytes?: number
  /** Most appends committed in one transaction (default 4096). */
  readonly maxGroupAppends?: number
  /** Authors whose high-water mark is kept per channel (default 65 536). */
  readonly maxAuthorMarks?: number
  /** Pending writes per channel's outbox (default 10 000). */
  readonly outboxCapacity?: number
  /**
   * Bytes of the segment records this store wrote last, kept in memory so
   * reads of the newest entries skip IndexedDB (default 8 MiB; 0 turns it off).
   */
  readonly recentSegmentBytes?: number
}

interface AppendOp {
  readonly kind: 'append'
  readonly channel: ChannelId
  /** Entries to pack, or a run packed already (checked when the group commits). */
  readonly batch: readonly Entry[] | EntryRun
  resolve(state: ChannelState): void
  reject(error: unknown): void
}

interface ExclusiveOp {
  readonly kind: 'exclusive'
  run(db: MeshlogDb): Promise<void>
  resolve(): void
  reject(error: unknown): void
}

type WriteOp = AppendOp | ExclusiveOp

export interface IdbLogStoreMetrics {
  /** Readwrite transactions committed. */
  readonly transactions: number
  /** Append calls made durable. */
  readonly appendsCommitted: number
  /** Most append calls one transaction carried. */
  readonly largestGroup: number
  /** Commits that merged small tail segments into one record. */
  readonly segmentMerges: number
  /** Segment records a read took from memory (recently written), not from IndexedDB. */
  readonly recentSegmentHits: number
}
type WriteStores = ('segments' | 'channels' | 'author-marks')[]
const WRITE_STORES: WriteStores = ['segments', 'channels', 'author-marks']
type WriteTx = IDBPTransaction<MeshlogDbSchema, WriteStores, 'readwrite'>
type SegmentStore = IDBPObjectStore<MeshlogDbSchema, WriteStores, 'segments', 'readwrite'>

/** What one channel's part of a group commit wrote. */
interface WrittenSegments {
  readonly firsts: number[]
  readonly tail: SegmentRecord
  readonly records: SegmentRecord[]
  /** First seqs of the segment records the merge deleted (their entries are in `tail`). */
  readonly deleted: number[]
}

/**
 * Small records kept in memory per channel end. A binary counter leaves at
 * most log2(mergeBelowEntries) of them (8 by default); 16 covers 2^16.
 */
const TAIL_RECORDS_KEPT = 16

/** Every key of a channel in a store keyed [channel, ...]. */
function channelKeys(channel: string): IDBKeyRange {
  return IDBKeyRange.bound([channel], [channel, []])
}

function toOutboxRecord(channel: ChannelId, entry: OutboxEntry, createdAt: number): OutboxRecord {
  const record = {
    channel,
    author: entry.author,
    authorSeq: entry.authorSeq,
    payload: entry.payload.slice(),
    createdAt,
  }
  return { ...record, ...authorProofOf(entry, (bytes) => bytes.slice()) }
}

function fromOutboxRecord(record: OutboxRecord): OutboxEntry {
  const entry = {
    author: record.author as PeerId,
    authorSeq: record.authorSeq,
    payload: record.payload,
  }
  return { ...entry, ...authorProofOf(record) }
}

const STRICT = { durability: 'strict' } as const
const WRITE_REFUSAL_RETRIES = 6

function isWriteRefusal(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'InvalidStateError'
}
// Segments fetched per getAll. A byte-bounded read (a sync chunk) starts
// with one and doubles, so a 1 MiB chunk does not fetch and clone the 64
// segments its entry bound alone would cover (16 MiB of 4 KiB entries).
const READ_WINDOW_SEGMENTS = 64

function sameKey(a: WriteKey, b: WriteKey): boolean {
  return a.author === b.author && a.authorSeq === b.authorSeq
}

function toRecord(state: ChannelState): ChannelRecord {
  return { ...state, lastHash: state.lastHash.slice() }
}

function fromRecord(record: ChannelRecord): ChannelState {
  return { ...record, channel: record.channel as ChannelId } as ChannelState
}

export class IdbLogStore implements LogStore {
  readonly databaseName: string
  readonly #options: Required<Omit<IdbLogStoreOptions, 'hasher' | 'databaseName'>>
  #marks = new Map<ChannelId, AuthorMarks>()
  #outboxSizes = new Map<ChannelId, number>()
  #hasher: EntryHasher | undefined
  #db: MeshlogDb | undefined
  #opening: Promise<void> | undefined
  #states = new Map<ChannelId, ChannelState>()
  #segments = new SegmentIndex()
  /** The small records this store wrote last at each channel's end, to merge without reading them back. */
  #tails = new Map<ChannelId, Map<number, SegmentRecord>>()
  #queue: WriteOp[] = []
  #draining: Promise<void> | undefined
  /** Bumped by every commit that deletes segments, so a read racing one retries. */
  #epoch = 0
  readonly #recent: RecentSegments
  #metrics = {
    transactions: 0,
    appendsCommitted: 0,
    largestGroup: 0,
    segmentMerges: 0,
    recentSegmentHits: 0,
  }

  constructor(options: IdbLogStoreOptions) {
    this.databaseName = options.databaseName
    this.#hasher = options.hasher
    this.#options = {
      maxSegmentEntries: options.maxSegmentEntries ?? 4096,
      maxSegmentBytes: options.maxSegmentBytes ?? 1 << 20,
      mergeBelowEntries: options.mergeBelowEntries ?? 256,
      mergeBelowBytes: options.mergeBelowBytes ?? 64 << 10,
      maxGroupAppends: options.maxGroupAppends ?? 4096,
      maxAuthorMarks: options.maxAuthorMarks ?? MAX_AUTHOR_MARKS_DEFAULT,
      outboxCapacity: options.outboxCapacity ?? OUTBOX_CAPACITY_DEFAULT,
      recentSegmentBytes: options.recentSegmentBytes ?? RECENT_SEGMENT_BYTES_DEFAULT,
    }
    this.#recent = new RecentSegments(this.#options.recentSegmentBytes)
  }

  get isOpen(): boolean {
    return this.#db !== undefined
  }

  open(): Promise<void> {
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined
      throw toStorageError(error, { databaseName: this.databaseName, op: 'open' })
    })
    return this.#opening
  }

  async #open(): Promise<void> {
    this.#hasher ??= await loadEntryHasher()
    const db = await openDB<MeshlogDbSchema>(this.databaseName, SCHEMA_VERSION, {
      upgrade: (upgrading, oldVersion, newVersion, tx) =>
        upgradeSchema(upgrading, oldVersion, newVersion ?? SCHEMA_VERSION, tx),
      terminated: () => {
        this.#db = undefined
      },
    })
    const tx = db.transaction(
      ['channels', 'segments', 'author-marks', 'outbox', 'meta'],
      'readonly',
    )
    const [channels, keys, marks, outboxKeys, marksMeta] = await Promise.all([
      tx.objectStore('channels').getAll(),
      tx.objectStore('segments').getAllKeys(),
      tx.objectStore('author-marks').getAll(),
      tx.objectStore('outbox').getAllKeys(),
      tx.objectStore('meta').get(AUTHOR_MARKS_META_KEY),
      tx.done,
    ])
    this.#states = new Map(channels.map((r) => [r.channel as ChannelId, fromRecord(r)]))
    this.#segments = SegmentIndex.fromKeys(keys)
    this.#marks = new Map()
    for (const mark of marks) {
      this.#marksOf(mark.channel as ChannelId).load(mark.author as PeerId, mark.authorSeq)
    }
    this.#outboxSizes = new Map()
    for (const [channel] of outboxKeys) {
      const id = channel as ChannelId
      this.#outboxSizes.set(id, (this.#outboxSizes.get(id) ?? 0) + 1)
    }
    if (marksMeta?.value === 'rebuild') await this.#rebuildMarks(db)
    this.#db = db
  }

  /** Schema v3: a log written before marks were kept gets them from its segments. */
  async #rebuildMarks(db: MeshlogDb): Promise<void> {
    const hasher = this.#hasher as EntryHasher
    const rebuilt = new Map<ChannelId, AuthorMarks>()
    const tx = db.transaction(['segments', 'author-marks', 'meta'], 'readwrite', STRICT)
    let cursor = await tx.objectStore('segments').openCursor()
    while (cursor !== null) {
      const channel = cursor.value.channel as ChannelId
      let marks = rebuilt.get(channel)
      if (marks === undefined) {
        marks = new AuthorMarks(this.#options.maxAuthorMarks)
        rebuilt.set(channel, marks)
      }
      marks.apply(marks.planAppend(decodeSegment(hasher, cursor.value)))
      cursor = await cursor.continue()
    }
    const store = tx.objectStore('author-marks')
    for (const [channel, marks] of rebuilt) {
      for (const [author, authorSeq] of marks.entries())
        void store.put({ channel, author, authorSeq })
    }
    void tx.objectStore('meta').delete(AUTHOR_MARKS_META_KEY)
    await tx.done
    this.#marks = rebuilt
  }

  async close(): Promise<void> {
    await this.#opening?.catch(() => undefined)
    while (this.#draining !== undefined) await this.#draining
    this.#recent.clear()
    this.#db?.close()
    this.#db = undefined
    this.#opening = undefined
  }

  metrics(): IdbLogStoreMetrics {
    return { ...this.#metrics }
  }

  channels(): ChannelId[] {
    this.#checkOpen()
    return [...this.#states.keys()]
  }

  state(channel: ChannelId): ChannelState {
    this.#checkOpen()
    return this.#states.get(channel) ?? emptyChannelState(channel)
  }

  append(channel: ChannelId, entries: readonly Entry[]): Promise<ChannelState> {
    return new Promise((resolve, reject) => {
      this.#checkOpen()
      this.#enqueue({ kind: 'append', channel, batch: entries, resolve, reject })
    })
  }

  appendRun(channel: ChannelId, run: EntryRun): Promise<ChannelState> {
    return new Promise((resolve, reject) => {
      this.#checkOpen()
      this.#enqueue({ kind: 'append', channel, batch: run, resolve, reject })
    })
  }

  async read(channel: ChannelId, from: Seq, to?: Seq, options: ReadOptions = {}): Promise<Entry[]> {
    return (await this.readRun(channel, from, to, options)).entries()
  }

  async readRun(
    channel: ChannelId,
    from: Seq,
    to?: Seq,
    options: ReadOptions = {},
  ): Promise<EntryRun> {
    for (let attempt = 0; ; attempt++) {
      const epoch = this.#epoch
      try {
        return await this.#readRun(channel, from, to, options)
      } catch (error) {
        // A truncate, skip or sweep committed while we read: read again.
        if (error instanceof CorruptLogError && epoch !== this.#epoch && attempt < 3) continue
        throw error
      }
    }
  }

  async #readRun(
    channel: ChannelId,
    from: Seq,
    to: Seq | undefined,
    options: ReadOptions,
  ): Promise<EntryRun> {
    const db = this.#checkOpen()
    const hasher = this.#hasher as EntryHasher
    const state = this.state(channel)
    let end: number = checkReadRange(state, from, to)
    if (options.maxEntries !== undefined) end = Math.min(end, from + options.maxEntries)
    if (from >= end) return EntryRun.empty(channel, from)
    const firsts = this.#segments.covering(channel, from, end)
    const parts: EntryRun[] = []
    let taken = 0
    let bytes = 0
    let prevLast: Uint8Array | undefined
    let full = false
    let windowSize = options.maxBytes === undefined ? READ_WINDOW_SEGMENTS : 1
    let fromMemory = false
    for (
      let w = 0;
      w < firsts.length && !full;
      w += windowSize, windowSize = Math.min(windowSize * 2, READ_WINDOW_SEGMENTS)
    ) {
      const window = firsts.slice(w, w + windowSize)
      const records = await this.#windowRecords(db, channel, window, { from, end })
      for (const { record, recent } of records) {
        fromMemory ||= recent
        if (prevLast !== undefined && !equals(record.prevHash, prevLast)) {
          throw new CorruptLogError(
            `segment at seq ${record.firstSeq} does not chain onto the one before`,
            { details: { channel, firstSeq: record.firstSeq } },
          )
        }
        prevLast = record.lastHash
        // A record this store wrote and kept needs no checksum: it never left memory.
        const run = recent ? parseSegment(record) : runOfSegment(hasher, record)
        const start = Math.max(from - record.firstSeq, 0)
        let stop = Math.min(end - record.firstSeq, run.count)
        if (options.maxBytes !== undefined) {
          for (let i = start; i < stop; i++) {
            bytes += run.payloadLengthAt(i)
            if (taken + (i - start) > 0 && bytes > options.maxBytes) {
              stop = i
              full = true
              break
            }
          }
        }
        taken += stop - start
        if (stop > start) parts.push(run.slice(start, stop))
        if (full) break
      }
    }
    const [run] = parts
    if (run === undefined) return EntryRun.empty(channel, from)
    // Two parts or more are joined into bytes of their own.
    if (parts.length > 1) return EntryRun.concat(parts)
    // A record kept in memory is the store's own: a reader that may write
    // into what it read gets a copy.
    if (fromMemory) return options.shared === true ? run : run.copy()
    // A small part of a big record gets bytes of its own, so the record can be freed.
    return run.data.byteLength > 2 * run.bytes().byteLength ? run.compact() : run
  }

  /**
   * The records of `window` (consecutive first seqs), from memory when this
   * store wrote them lately, else from IndexedDB in one getAll.
   */
  async #windowRecords(
    db: MeshlogDb,
    channel: ChannelId,
    window: readonly number[],
    range: { readonly from: number; readonly end: number },
  ): Promise<{ readonly record: SegmentRecord; readonly recent: boolean }[]> {
    const kept = window.map((first) => this.#recent.get(channel, first))
    if (kept.every((record) => record !== undefined)) {
      this.#metrics.recentSegmentHits += kept.length
      return kept.map((record) => ({ record: record as SegmentRecord, recent: true }))
    }
    const keys = IDBKeyRange.bound([channel, window[0]], [channel, window[window.length - 1]])
    const records = await db.getAll('segments', keys).catch((error: unknown) => {
      throw toStorageError(error, { channel, op: 'read' })
    })
    if (records.length !== window.length || records.some((r, i) => r.firstSeq !== window[i])) {
      throw new CorruptLogError(`segments of ${channel} are missing`, {
        details: { channel, ...range },
      })
    }
    return records.map((record) => ({ record, recent: false }))
  }

  skipTo(channel: ChannelId, target: Seq, anchorHash?: Uint8Array): Promise<ChannelState> {
    return this.#exclusive(async (db) => {
      const before = this.state(channel)
      const after = applySkipTo(before, target, anchorHash)
      if (after === before) return before
      await this.#transact(db, channel, async (tx, work) => {
        work.push(tx.objectStore('segments').delete(this.#segments.keyRange(channel)))
        work.push(tx.objectStore('channels').put(toRecord(after)))
      })
      this.#segments.replace(channel, [])
      return this.#settle(channel, after)
    })
  }

  truncateAfter(channel: ChannelId, lastKept: number): Promise<ChannelState> {
    return this.#exclusive(async (db) => {
      const before = this.state(channel)
      const end = checkTruncate(before, lastKept)
      if (end === undefined) return before
      const firsts = this.#segments.all(channel)
      const kept = firsts.filter((f) => f < end)
      const boundary = kept[kept.length - 1]
      let markChanges: MarkChanges | undefined
      const after = await this.#transact(db, channel, async (tx, work) => {
        const segments = tx.objectStore('segments')
        let dropped = 0
        let lastHash = before.lastHash
        const cut: Entry[] = []
        for (const first of firsts.slice(kept.length)) {
          const record = await segments.get([channel, first])
          if (record === undefined)
            throw new CorruptLogError(`segment ${first} of ${channel} is missing`)
          if (first === end) lastHash = record.prevHash
          dropped += record.payloadBytes
          cut.push(...decodeSegment(this.#hasher as EntryHasher, record))
          work.push(segments.delete([channel, first]))
        }
        if (boundary !== undefined) {
          const record = await segments.get([channel, boundary])
          if (record === undefined)
            throw new CorruptLogError(`segment ${boundary} of ${channel} is missing`)
          const entries = decodeSegment(this.#hasher as EntryHasher, record)
          const keep = entries.slice(0, end - boundary)
          cut.push(...entries.slice(keep.length))
          if (keep.length < entries.length) {
            const rewritten = encodeSegment(this.#hasher as EntryHasher, keep)
            dropped += record.payloadBytes - rewritten.payloadBytes
            work.push(segments.put(rewritten))
          }
          lastHash = (keep[keep.length - 1] as Entry).hash
        }
        const next = {
          ...before,
          nextSeq: end,
          lastHash,
          payloadBytes: before.payloadBytes - dropped,
        }
        work.push(tx.objectStore('channels').put(toRecord(next)))
        markChanges = this.#marksOf(channel).planTruncate(cut)
        this.#putMarks(tx, channel, markChanges, work)
        return next
      })
      if (markChanges !== undefined) this.#marksOf(channel).apply(markChanges)
      this.#segments.replace(channel, kept)
      return this.#settle(channel, after)
    })
  }

  setRetention(channel: ChannelId, policy: RetentionPolicy): Promise<ChannelState> {
    return this.#exclusive(async (db) => {
      const after = { ...this.state(channel), retention: checkRetentionPolicy(channel, policy) }
      await this.#transact(db, channel, async (tx, work) => {
        work.push(tx.objectStore('channels').put(toRecord(after)))
      })
      return this.#settle(channel, after)
    })
  }

  sweepRetention(channel: ChannelId): Promise<SweepResult> {
    return this.#exclusive(async (db) => {
      const before = this.state(channel)
      const plan = new SweepPlan(before)
      if (!plan.over) return { evictedEntries: 0, evictedBytes: 0 }
      const firsts = this.#segments.all(channel)
      let remaining = firsts
      const after = await this.#transact(db, channel, async (tx, work) => {
        const segments = tx.objectStore('segments')
        for (const first of firsts) {
          const record = await segments.get([channel, first])
          if (record === undefined)
            throw new CorruptLogError(`segment ${first} of ${channel} is missing`)
          const entries = decodeSegment(this.#hasher as EntryHasher, record)
          let taken = 0
          while (taken < entries.length && plan.take((entries[taken] as Entry).payload.byteLength))
            taken++
          if (taken === 0) break
          work.push(segments.delete([channel, first]))
          remaining = remaining.slice(1)
          if (taken < entries.length) {
            const rest = encodeSegment(this.#hasher as EntryHasher, entries.slice(taken))
            work.push(segments.put(rest))
            remaining = [rest.firstSeq, ...remaining]
            break
          }
        }
        const next = {
          ...before,
          firstSeq: (before.firstSeq + plan.entries) as Seq,
          payloadBytes: before.payloadBytes - plan.bytes,
        }
        work.push(tx.objectStore('channels').put(toRecord(next)))
        return next
      })
      this.#segments.replace(channel, remaining)
      this.#settle(channel, after)
      return { evictedEntries: plan.entries, evictedBytes: plan.bytes }
    })
  }

  deleteChannel(channel: ChannelId): Promise<void> {
    return this.#exclusive(async (db) => {
      await this.#transact(db, channel, async (tx, work) => {
        work.push(tx.objectStore('segments').delete(this.#segments.keyRange(channel)))
        work.push(tx.objectStore('channels').delete(channel))
        work.push(tx.objectStore('author-marks').delete(channelKeys(channel)))
      })
      await this.#outboxTransact(db, channel, (store) => [store.delete(channelKeys(channel))])
      this.#segments.replace(channel, [])
      this.#states.delete(channel)
      this.#marks.delete(channel)
      this.#outboxSizes.delete(channel)
      this.#tails.delete(channel)
      this.#recent.forget(channel)
      this.#epoch += 1
    })
  }

  /** Records the state a truncate, skip, sweep or policy change committed. */
  #settle(channel: ChannelId, state: ChannelState): ChannelState {
    this.#states.set(channel, state)
    this.#tails.delete(channel)
    this.#recent.forget(channel)
    this.#epoch += 1
    return state
  }

  /**
   * Runs `body` in one strict readwrite transaction and waits for it to be
   * durable. `body` queues its requests' promises on `work`; if it throws, the
   * transaction is aborted so nothing it queued is written. Firefox refuses
   * writes for a moment after a quota failure (InvalidStateError, "did not
   * allow mutations"); such a refusal is retried a few times.
   */
  async #transact<T>(
    db: MeshlogDb,
    label: string,
    body: (tx: WriteTx, work: Promise<unknown>[]) => Promise<T>,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const tx = db.transaction(WRITE_STORES, 'readwrite', STRICT)
      const work: Promise<unknown>[] = []
      let result: T
      try {
        result = await body(tx, work)
      } catch (error) {
        try {
          tx.abort()
        } catch {
          // already finished or aborted
        }
        await Promise.allSettled([...work, tx.done])
        if (isWriteRefusal(error) && attempt < WRITE_REFUSAL_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 20 * attempt))
          continue
        }
        throw toStorageError(error, { channel: label })
      }
      try {
        await Promise.all([...work, tx.done])
      } catch (error) {
        // The request that failed first may only say "aborted"; the cause is on the transaction.
        throw toStorageError(tx.error ?? error, { channel: label })
      }
      this.#metrics.transactions += 1
      return result
    }
  }

  #exclusive<T>(run: (db: MeshlogDb) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#checkOpen()
      let result: T
      this.#enqueue({
        kind: 'exclusive',
        run: async (db) => {
          result = await run(db)
        },
        resolve: () => resolve(result),
        reject,
      })
    })
  }

  #enqueue(op: WriteOp): void {
    this.#queue.push(op)
    this.#draining ??= this.#drain()
  }

  /** Serves the write queue until it is empty; `#draining` is cleared in the same turn it empties. */
  async #drain(): Promise<void> {
    try {
      // Yield once so appends made in the same turn join one group.
      await Promise.resolve()
      for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
        const db = this.#db
        if (db === undefined) {
          for (const op of this.#queue.splice(0))
            op.reject(new ClosedError('the log store was closed'))
          return
        }
        if (head.kind === 'exclusive') {
          this.#queue.shift()
          await head.run(db).then(head.resolve, head.reject)
          continue
        }
        let n = 0
        while (n < this.#options.maxGroupAppends && this.#queue[n]?.kind === 'append') n++
        await this.#commitAppends(db, this.#queue.splice(0, n) as AppendOp[])
      }
    } finally {
      this.#draining = undefined
    }
  }

  /** One transaction for every append waiting; each append is validated alone first. */
  async #commitAppends(db: MeshlogDb, group: AppendOp[]): Promise<void> {
    const working = new Map<ChannelId, ChannelState>()
    const accepted: { op: AppendOp; state: ChannelState }[] = []
    const pending = new Map<ChannelId, EntryRun[]>()
    for (const op of group) {
      try {
        const before = working.get(op.channel) ?? this.state(op.channel)
        const { batch } = op
        const state =
          batch instanceof EntryRun
            ? applyAppendRun(before, op.channel, batch)
            : applyAppend(before, op.channel, batch)
        const run = batch instanceof EntryRun ? batch : EntryRun.fromEntries(op.channel, batch)
        working.set(op.channel, state)
        accepted.push({ op, state })
        const runs = pending.get(op.channel) ?? []
        runs.push(run)
        pending.set(op.channel, runs)
      } catch (error) {
        op.reject(error)
      }
    }
    if (accepted.length === 0) return
    const written = new Map<ChannelId, WrittenSegments>()
    const markChanges = new Map<ChannelId, MarkChanges>()
    try {
      await this.#transact(db, [...pending.keys()].join(','), async (tx, work) => {
        for (const [channel, runs] of pending) {
          const run = EntryRun.concat(runs)
          written.set(channel, await this.#writeSegments(tx, channel, run, work))
          work.push(tx.objectStore('channels').put(toRecord(working.get(channel) as ChannelState)))
          const highs = [...run.authorHighs()].map(([author, authorSeq]) => ({ author, authorSeq }))
          const changes = this.#marksOf(channel).planAppend(highs)
          markChanges.set(channel, changes)
          this.#putMarks(tx, channel, changes, work)
        }
      })
    } catch (error) {
      for (const { op } of accepted) op.reject(error)
      return
    }
    for (const [channel, changes] of markChanges) this.#marksOf(channel).apply(changes)
    for (const [channel, { firsts, records, deleted }] of written) {
      this.#segments.replace(channel, firsts)
      this.#keepTails(channel, firsts, records)
      // A read that listed the merged segments before this commit retries.
      if (deleted.length > 0) this.#epoch += 1
      for (const first of deleted) this.#recent.delete(channel, first)
      for (const record of records) this.#recent.put(record)
      this.#states.set(channel, working.get(channel) as ChannelState)
    }
    this.#metrics.appendsCommitted += accepted.length
    this.#metrics.largestGroup = Math.max(this.#metrics.largestGroup, accepted.length)
    for (const { op, state } of accepted) op.resolve(state)
  }

  /**
   * Queues the writes for `run` and returns the channel's new segment firsts,
   * its last record and the records written. A large run gets segments of
   * its own. A small one merges with the small segments at the channel's end
   * the way a binary counter carries: it takes the last segment while that
   * holds no more entries than it has gathered so far. So one-entry appends
   * leave about log2(mergeBelowEntries) small records behind and each entry
   * is rewritten about that many times, where growing one last segment
   * rewrote it with every append (a one-entry commit wrote ~128 entries).
   */
  async #writeSegments(
    tx: WriteTx,
    channel: ChannelId,
    run: EntryRun,
    work: Promise<unknown>[],
  ): Promise<WrittenSegments> {
    const hasher = this.#hasher as EntryHasher
    const segments = tx.objectStore('segments')
    const firsts = [...this.#segments.all(channel)]
    const carried = this.#isSmall(run.count, run.payloadBytes)
      ? await this.#carriedSegments(segments, channel, firsts, run)
      : []
    if (carried.length > 0) {
      const tail = extendSegment(hasher, carried, run)
      const deleted = carried.slice(1).map((gone) => gone.firstSeq)
      for (const first of deleted) work.push(segments.delete([channel, first]))
      work.push(segments.put(tail))
      firsts.splice(firsts.length - carried.length, carried.length, tail.firstSeq)
      this.#metrics.segmentMerges += 1
      return { firsts, tail, records: [tail], deleted }
    }
    const records: SegmentRecord[] = []
    for (const piece of run.split(this.#options.maxSegmentEntries, this.#options.maxSegmentBytes)) {
      const record = segmentOfRun(hasher, piece)
      work.push(segments.put(record))
      records.push(record)
      firsts.push(record.firstSeq)
    }
    const tail = records[records.length - 1]
    if (tail === undefined) throw new RangeError('no entries to write')
    return { firsts, tail, records, deleted: [] }
  }

  #isSmall(entries: number, payloadBytes: number): boolean {
    return entries < this.#options.mergeBelowEntries && payloadBytes < this.#options.mergeBelowBytes
  }

  /**
   * The small segments at the channel's end, oldest first, that a small
   * `run` carries into: walking back from the last, each one taken holds no
   * more entries than the run and the ones taken after it together, and the
   * merged segment stays within the segment limits.
   */
  async #carriedSegments(
    segments: SegmentStore,
    channel: ChannelId,
    firsts: readonly number[],
    run: EntryRun,
  ): Promise<SegmentRecord[]> {
    const { maxSegmentEntries, maxSegmentBytes } = this.#options
    let entries = run.count
    let take = 0
    for (let i = firsts.length - 1; i >= 0; i--) {
      const count = (firsts[i + 1] ?? run.firstSeq) - (firsts[i] as number)
      if (count > entries || !this.#isSmall(count, 0) || entries + count > maxSegmentEntries) break
      entries += count
      take++
    }
    const records = await this.#trailingRecords(
      segments,
      channel,
      firsts.slice(firsts.length - take),
    )
    let bytes = run.payloadBytes
    let keep = 0
    for (let i = records.length - 1; i >= 0; i--) {
      const record = records[i] as SegmentRecord
      if (!this.#isSmall(record.count, record.payloadBytes)) break
      if (bytes + record.payloadBytes > maxSegmentBytes) break
      bytes += record.payloadBytes
      keep++
    }
    return records.slice(records.length - keep)
  }

  /**
   * The channel's last segments at `firsts`: from memory when this store
   * wrote them, else read, checked and chained up to the channel's tail.
   */
  async #trailingRecords(
    segments: SegmentStore,
    channel: ChannelId,
    firsts: readonly number[],
  ): Promise<SegmentRecord[]> {
    const kept = this.#tails.get(channel)
    const records: SegmentRecord[] = []
    for (const first of firsts) {
      const cached = kept?.get(first) ?? this.#recent.get(channel, first)
      if (cached !== undefined) {
        records.push(cached)
        continue
      }
      const record = (await segments.get([channel, first])) as SegmentRecord | undefined
      if (record === undefined)
        throw new CorruptLogError(`segment ${first} of ${channel} is missing`)
      runOfSegment(this.#hasher as EntryHasher, record)
      records.push(record)
    }
    const ends = [...records.slice(1).map((r) => r.prevHash), this.state(channel).lastHash]
    records.forEach((record, i) => {
      if (!equals(record.lastHash, ends[i] as Uint8Array)) {
        throw new CorruptLogError(`the last segments of ${channel} do not chain to its tail`, {
          details: { channel, firstSeq: record.firstSeq },
        })
      }
    })
    return records
  }

  /** Keeps the small records just written at the channel's end, for the next small append. */
  #keepTails(
    channel: ChannelId,
    firsts: readonly number[],
    written: readonly SegmentRecord[],
  ): void {
    const live = new Set(firsts.slice(-TAIL_RECORDS_KEPT))
    const kept = new Map<number, SegmentRecord>()
    for (const record of [...(this.#tails.get(channel)?.values() ?? []), ...written]) {
      if (live.has(record.firstSeq) && this.#isSmall(record.count, record.payloadBytes))
        kept.set(record.firstSeq, record)
    }
    this.#tails.set(channel, kept)
  }

  authorMark(channel: ChannelId, author: PeerId): number {
    this.#checkOpen()
    return this.#marksOf(channel).get(author)
  }

  async outbox(channel: ChannelId): Promise<OutboxEntry[]> {
    const db = this.#checkOpen()
    const records = await db.getAll('outbox', channelKeys(channel)).catch((error: unknown) => {
      throw toStorageError(error, { channel, op: 'outbox' })
    })
    return records.map(fromOutboxRecord).sort(compareWriteKeys)
  }

  outboxSize(channel: ChannelId): number {
    this.#checkOpen()
    return this.#outboxSizes.get(channel) ?? 0
  }

  putOutbox(
    channel: ChannelId,
    entries: readonly OutboxEntry[],
    options: PutOutboxOptions = {},
  ): Promise<void> {
    return this.#exclusive(async (db) => {
      const size = await this.#outboxTransact(db, channel, async (store, work) => {
        const fresh: OutboxEntry[] = []
        for (const entry of entries) {
          const key: [string, string, number] = [channel, entry.author, entry.authorSeq]
          if ((await store.getKey(key)) === undefined && !fresh.some((f) => sameKey(f, entry)))
            fresh.push(entry)
        }
        const held = this.outboxSize(channel)
        const capacity = this.#options.outboxCapacity
        if (options.force !== true && held + fresh.length > capacity) {
          throw new OutboxFullError('the outbox is full', {
            details: { channel, held, adding: fresh.length, capacity },
          })
        }
        const now = Date.now()
        for (const entry of fresh) work.push(store.put(toOutboxRecord(channel, entry, now)))
        return held + fresh.length
      })
      this.#outboxSizes.set(channel, size)
    })
  }

  removeOutbox(channel: ChannelId, keys: readonly WriteKey[]): Promise<void> {
    return this.#exclusive(async (db) => {
      const size = await this.#outboxTransact(db, channel, async (store, work) => {
        for (const key of keys) work.push(store.delete([channel, key.author, key.authorSeq]))
        return store.count(channelKeys(channel))
      })
      if (size === 0) this.#outboxSizes.delete(channel)
      else this.#outboxSizes.set(channel, size)
    })
  }

  /** One strict transaction on the outbox; `body` queues its writes' promises on `work`. */
  async #outboxTransact<T>(
    db: MeshlogDb,
    channel: ChannelId,
    body: (
      store: IDBPObjectStore<MeshlogDbSchema, ['outbox'], 'outbox', 'readwrite'>,
      work: Promise<unknown>[],
    ) => Promise<T> | T,
  ): Promise<T> {
    const tx = db.transaction(['outbox'], 'readwrite', STRICT)
    const work: Promise<unknown>[] = []
    try {
      const result = await body(tx.objectStore('outbox'), work)
      await Promise.all([...work, tx.done])
      return result
    } catch (error) {
      try {
        tx.abort()
      } catch {
        // already finished or aborted
      }
      await Promise.allSettled([...work, tx.done])
      throw toStorageError(tx.error ?? error, { channel, op: 'outbox' })
    }
  }

  #marksOf(channel: ChannelId): AuthorMarks {
    let marks = this.#marks.get(channel)
    if (marks === undefined) {
      marks = new AuthorMarks(this.#options.maxAuthorMarks)
      this.#marks.set(channel, marks)
    }
    return marks
  }

  #putMarks(tx: WriteTx, channel: ChannelId, changes: MarkChanges, work: Promise<unknown>[]): void {
    const store = tx.objectStore('author-marks')
    for (const author of changes.removed) work.push(store.delete([channel, author]))
    for (const [author, authorSeq] of changes.set)
      work.push(store.put({ channel, author, authorSeq }))
  }

  #checkOpen(): MeshlogDb {
    if (this.#db === undefined) throw new ClosedError(`log store ${this.databaseName} is not open`)
    return this.#db
  }
}
