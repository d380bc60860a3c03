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
 *
 * Its parts: write-queue.ts (the queue and its groups), segment-writer.ts
 * (how appends become records), segment-reader.ts (reads), segment-cuts.ts
 * (truncate and sweep), idb-author-marks.ts, idb-outbox.ts, and
 * idb-transaction.ts (the strict transactions they all write in).
 */
import { openDB } from 'idb'
import { ClosedError } from '../core/errors.js'
import type { MarkChanges } from '../core/log/author-marks.js'
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
import type { Entry } from '../core/log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../core/log/entry-hasher.js'
import { EntryRun } from '../core/log/entry-run.js'
import type { ChannelId, PeerId, Seq } from '../core/log/ids.js'
import { CorruptLogError } from '../core/log/log-errors.js'
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
import { packEntries } from '../core/log/run-pack.js'
import { concatRuns } from '../core/log/run-repack.js'
import { IdbAuthorMarks } from './idb-author-marks.js'
import { toStorageError } from './idb-errors.js'
import { IdbOutbox } from './idb-outbox.js'
import {
  AUTHOR_MARKS_META_KEY,
  type ChannelRecord,
  channelKeys,
  type MeshlogDb,
  type MeshlogDbSchema,
  SCHEMA_VERSION,
  upgradeSchema,
} from './idb-schema.js'
import {
  type IdbLogStoreMetrics,
  type IdbLogStoreOptions,
  type ResolvedStoreOptions,
  resolveStoreOptions,
} from './idb-store-options.js'
import { type LogTx, logTransaction } from './idb-transaction.js'
import { RecentSegments } from './recent-segments.js'
import { cutSegmentsFrom, sweepSegments } from './segment-cuts.js'
import { SegmentIndex } from './segment-index.js'
import { readSegments } from './segment-reader.js'
import { SegmentWriter, type WrittenSegments } from './segment-writer.js'
import { type AppendOp, WriteQueue } from './write-queue.js'

export {
  type IdbLogStoreMetrics,
  type IdbLogStoreOptions,
  RECENT_SEGMENT_BYTES_DEFAULT,
} from './idb-store-options.js'

function toRecord(state: ChannelState): ChannelRecord {
  return { ...state, lastHash: state.lastHash.slice() }
}

function fromRecord(record: ChannelRecord): ChannelState {
  return { ...record, channel: record.channel as ChannelId } as ChannelState
}

export class IdbLogStore implements LogStore {
  readonly databaseName: string
  readonly #options: ResolvedStoreOptions
  readonly #marks: IdbAuthorMarks
  readonly #outbox: IdbOutbox
  #hasher: EntryHasher | undefined
  #db: MeshlogDb | undefined
  #opening: Promise<void> | undefined
  #states = new Map<ChannelId, ChannelState>()
  #segments = new SegmentIndex()
  readonly #writes: WriteQueue
  /** Bumped by every commit that deletes segments, so a read racing one retries. */
  #epoch = 0
  readonly #recent: RecentSegments
  readonly #writer: SegmentWriter
  #metrics = {
    transactions: 0,
    appendsCommitted: 0,
    largestGroup: 0,
    recentSegmentHits: 0,
  }

  constructor(options: IdbLogStoreOptions) {
    this.databaseName = options.databaseName
    this.#hasher = options.hasher
    this.#options = resolveStoreOptions(options)
    this.#recent = new RecentSegments(this.#options.recentSegmentBytes)
    this.#writer = new SegmentWriter(this.#options, () => this.#hasher as EntryHasher, this.#recent)
    this.#outbox = new IdbOutbox(this.#options.outboxCapacity)
    this.#marks = new IdbAuthorMarks(this.#options.maxAuthorMarks)
    this.#writes = new WriteQueue({
      db: () => this.#db,
      commitAppends: (db, group) => this.#commitAppends(db, group),
      maxGroupAppends: this.#options.maxGroupAppends,
    })
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
    this.#marks.load(marks)
    this.#outbox.load(outboxKeys)
    if (marksMeta?.value === 'rebuild') await this.#marks.rebuild(db, this.#hasher)
    this.#db = db
  }

  async close(): Promise<void> {
    await this.#opening?.catch(() => undefined)
    await this.#writes.idle()
    this.#recent.clear()
    this.#db?.close()
    this.#db = undefined
    this.#opening = undefined
  }

  metrics(): IdbLogStoreMetrics {
    return { ...this.#metrics, segmentMerges: this.#writer.merges }
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
    return this.#write(() => this.#writes.append(channel, entries))
  }

  appendRun(channel: ChannelId, run: EntryRun): Promise<ChannelState> {
    return this.#write(() => this.#writes.append(channel, run))
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
    let end: number = checkReadRange(this.state(channel), from, to)
    if (options.maxEntries !== undefined) end = Math.min(end, from + options.maxEntries)
    if (from >= end) return EntryRun.empty(channel, from)
    const source = {
      db,
      hasher: this.#hasher as EntryHasher,
      recent: this.#recent,
      onRecentHits: (records: number) => {
        this.#metrics.recentSegmentHits += records
      },
    }
    const firsts = this.#segments.covering(channel, from, end)
    return readSegments(source, { channel, firsts, from, end }, options)
  }

  skipTo(channel: ChannelId, target: Seq, anchorHash?: Uint8Array): Promise<ChannelState> {
    return this.#exclusive(async (db) => {
      const before = this.state(channel)
      const after = applySkipTo(before, target, anchorHash)
      if (after === before) return before
      await this.#transact(db, channel, async (tx, work) => {
        work.push(tx.objectStore('segments').delete(channelKeys(channel)))
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
      let markChanges: MarkChanges | undefined
      const after = await this.#transact(db, channel, async (tx, work) => {
        const segments = tx.objectStore('segments')
        const range = { channel, firsts, end, lastHash: before.lastHash }
        const hasher = this.#hasher as EntryHasher
        const { lastHash, droppedBytes, cut } = await cutSegmentsFrom(segments, hasher, range, work)
        const next = {
          ...before,
          nextSeq: end,
          lastHash,
          payloadBytes: before.payloadBytes - droppedBytes,
        }
        work.push(tx.objectStore('channels').put(toRecord(next)))
        markChanges = this.#marks.of(channel).planTruncate(cut)
        this.#marks.put(tx, channel, markChanges, work)
        return next
      })
      if (markChanges !== undefined) this.#marks.of(channel).apply(markChanges)
      this.#segments.replace(
        channel,
        firsts.filter((f) => f < end),
      )
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
      let plan = new SweepPlan(before)
      if (!plan.over) return { evictedEntries: 0, evictedBytes: 0 }
      let remaining: number[] = []
      const after = await this.#transact(db, channel, async (tx, work) => {
        // A fresh plan per try: a refused first try must not count as evicted.
        plan = new SweepPlan(before)
        remaining = await sweepSegments(
          tx.objectStore('segments'),
          this.#hasher as EntryHasher,
          channel,
          this.#segments.all(channel),
          plan,
          work,
        )
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
        work.push(tx.objectStore('segments').delete(channelKeys(channel)))
        work.push(tx.objectStore('channels').delete(channel))
        work.push(tx.objectStore('author-marks').delete(channelKeys(channel)))
      })
      await this.#outbox.deleteChannel(db, channel)
      this.#segments.replace(channel, [])
      this.#states.delete(channel)
      this.#marks.delete(channel)
      this.#writer.forget(channel)
      this.#recent.forget(channel)
      this.#epoch += 1
    })
  }

  /** Records the state a truncate, skip, sweep or policy change committed. */
  #settle(channel: ChannelId, state: ChannelState): ChannelState {
    this.#states.set(channel, state)
    this.#writer.forget(channel)
    this.#recent.forget(channel)
    this.#epoch += 1
    return state
  }

  async #transact<T>(
    db: MeshlogDb,
    label: string,
    body: (tx: LogTx, work: Promise<unknown>[]) => Promise<T>,
  ): Promise<T> {
    const result = await logTransaction(db, label, body)
    this.#metrics.transactions += 1
    return result
  }

  /** Queues a write; a closed store refuses it with a rejected promise, not a throw. */
  #write<T>(enqueue: () => Promise<T>): Promise<T> {
    try {
      this.#checkOpen()
    } catch (error) {
      return Promise.reject(error)
    }
    return enqueue()
  }

  #exclusive<T>(run: (db: MeshlogDb) => Promise<T>): Promise<T> {
    return this.#write(() => this.#writes.exclusive(run))
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
        const run = batch instanceof EntryRun ? batch : packEntries(op.channel, batch)
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
          const run = concatRuns(runs)
          const end = {
            channel,
            firsts: this.#segments.all(channel),
            lastHash: this.state(channel).lastHash,
          }
          written.set(channel, await this.#writer.write(tx.objectStore('segments'), end, run, work))
          work.push(tx.objectStore('channels').put(toRecord(working.get(channel) as ChannelState)))
          const highs = [...run.authorHighs()].map(([author, authorSeq]) => ({ author, authorSeq }))
          const changes = this.#marks.of(channel).planAppend(highs)
          markChanges.set(channel, changes)
          this.#marks.put(tx, channel, changes, work)
        }
      })
    } catch (error) {
      for (const { op } of accepted) op.reject(error)
      return
    }
    for (const [channel, changes] of markChanges) this.#marks.of(channel).apply(changes)
    for (const [channel, segments] of written) {
      const { firsts, records, deleted } = segments
      this.#segments.replace(channel, firsts)
      this.#writer.committed(channel, segments)
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

  authorMark(channel: ChannelId, author: PeerId): number {
    this.#checkOpen()
    return this.#marks.of(channel).get(author)
  }

  async outbox(channel: ChannelId): Promise<OutboxEntry[]> {
    return this.#outbox.list(this.#checkOpen(), channel)
  }

  outboxSize(channel: ChannelId): number {
    this.#checkOpen()
    return this.#outbox.size(channel)
  }

  putOutbox(
    channel: ChannelId,
    entries: readonly OutboxEntry[],
    options: PutOutboxOptions = {},
  ): Promise<void> {
    return this.#exclusive((db) => this.#outbox.put(db, channel, entries, options))
  }

  removeOutbox(channel: ChannelId, keys: readonly WriteKey[]): Promise<void> {
    return this.#exclusive((db) => this.#outbox.remove(db, channel, keys))
  }

  #checkOpen(): MeshlogDb {
    if (this.#db === undefined) throw new ClosedError(`log store ${this.databaseName} is not open`)
    return this.#db
  }
}
