/**
 * A LogStore in memory: the reference implementation of the contract, the
 * store the simulator gives each peer, and a fallback where IndexedDB is
 * missing. The backing outlives the store object, so "close, then open a new
 * store on the same backing" models a restart that keeps its disk.
 */
import { equals } from 'uint8arrays/equals'
import { ClosedError } from '../errors.js'
import {
  AuthorMarks,
  compareWriteKeys,
  MAX_AUTHOR_MARKS_DEFAULT,
  OUTBOX_CAPACITY_DEFAULT,
} from './author-marks.js'
import {
  applyAppend,
  applyAppendRun,
  applySkipTo,
  checkReadRange,
  checkRetentionPolicy,
  checkTruncate,
  emptyChannelState,
  SweepPlan,
} from './channel-state.js'
import { authorProofOf, type Entry } from './entry.js'
import { computeEntryHash } from './entry-chain.js'
import type { EntryHasher } from './entry-hasher.js'
import type { EntryRun } from './entry-run.js'
import type { ChannelId, PeerId, Seq } from './ids.js'
import { CorruptLogError, OutboxFullError, StorageFullError } from './log-errors.js'
import type {
  ChannelState,
  LogStore,
  OutboxEntry,
  PutOutboxOptions,
  ReadOptions,
  RetentionPolicy,
  SweepResult,
  WriteKey,
} from './log-store.js'
import { packEntries } from './run-pack.js'

interface ChannelLog {
  state: ChannelState
  /** entries[i] has seq state.firstSeq + i */
  entries: Entry[]
}

export class MemoryLogBacking {
  readonly channels = new Map<ChannelId, ChannelLog>()
  readonly marks = new Map<ChannelId, AuthorMarks>()
  /** Per channel, outbox entries by `author\nauthorSeq`. */
  readonly outboxes = new Map<ChannelId, Map<string, OutboxEntry>>()

  /** Total payload bytes held across channels. */
  payloadBytes(): number {
    let total = 0
    for (const log of this.channels.values()) total += log.state.payloadBytes
    return total
  }
}

export interface MemoryLogStoreOptions {
  /** Verifies hashes on read; reads then cost one hash per entry. */
  readonly hasher?: EntryHasher
  /** Data survives `close()` on this object; pass it to a new store to "restart". */
  readonly backing?: MemoryLogBacking
  /** Appends that would hold more payload bytes than this fail with StorageFullError. */
  readonly quotaBytes?: number
  /** Authors whose high-water mark is kept per channel (default 65 536). */
  readonly maxAuthorMarks?: number
  /** Pending writes per channel's outbox (default 10 000). */
  readonly outboxCapacity?: number
}

function writeKey(key: WriteKey): string {
  return `${key.author}\n${key.authorSeq}`
}

function copyEntry(entry: Entry): Entry {
  return { ...entry, payload: entry.payload.slice() }
}

function copyOutboxEntry(entry: OutboxEntry): OutboxEntry {
  const copy = {
    author: entry.author,
    authorSeq: entry.authorSeq,
    payload: entry.payload.slice(),
  }
  return { ...copy, ...authorProofOf(entry, (bytes) => bytes.slice()) }
}

export class MemoryLogStore implements LogStore {
  readonly backing: MemoryLogBacking
  readonly #hasher: EntryHasher | undefined
  #quotaBytes: number
  readonly #maxAuthorMarks: number
  readonly #outboxCapacity: number
  #open = false

  constructor(options: MemoryLogStoreOptions = {}) {
    this.backing = options.backing ?? new MemoryLogBacking()
    this.#hasher = options.hasher
    this.#maxAuthorMarks = options.maxAuthorMarks ?? MAX_AUTHOR_MARKS_DEFAULT
    this.#outboxCapacity = options.outboxCapacity ?? OUTBOX_CAPACITY_DEFAULT
    this.#quotaBytes = options.quotaBytes ?? Number.POSITIVE_INFINITY
  }

  get isOpen(): boolean {
    return this.#open
  }

  /** Changes the simulated disk size; lowering it below current use fails later appends. */
  setQuotaBytes(bytes: number): void {
    this.#quotaBytes = bytes
  }

  async open(): Promise<void> {
    this.#open = true
  }

  async close(): Promise<void> {
    this.#open = false
  }

  channels(): ChannelId[] {
    this.#checkOpen()
    return [...this.backing.channels.keys()]
  }

  state(channel: ChannelId): ChannelState {
    this.#checkOpen()
    return this.backing.channels.get(channel)?.state ?? emptyChannelState(channel)
  }

  async append(channel: ChannelId, entries: readonly Entry[]): Promise<ChannelState> {
    const log = this.#log(channel)
    const next = applyAppend(log.state, channel, entries)
    const added = next.payloadBytes - log.state.payloadBytes
    // Summing the backing visits every channel: only worth it under a quota.
    if (
      Number.isFinite(this.#quotaBytes) &&
      this.backing.payloadBytes() + added > this.#quotaBytes
    ) {
      throw new StorageFullError('the store has no room for this batch', {
        details: { channel, entries: entries.length, bytes: added, quotaBytes: this.#quotaBytes },
      })
    }
    const marks = this.#marks(channel)
    marks.apply(marks.planAppend(entries))
    log.entries.push(...entries.map(copyEntry))
    log.state = next
    this.backing.channels.set(channel, log)
    return next
  }

  async appendRun(channel: ChannelId, run: EntryRun): Promise<ChannelState> {
    applyAppendRun(this.state(channel), channel, run)
    return this.append(channel, run.entries())
  }

  async readRun(
    channel: ChannelId,
    from: Seq,
    to?: Seq,
    options: ReadOptions = {},
  ): Promise<EntryRun> {
    const entries = await this.read(channel, from, to, options)
    return packEntries(channel, entries, from)
  }

  async read(channel: ChannelId, from: Seq, to?: Seq, options: ReadOptions = {}): Promise<Entry[]> {
    const state = this.state(channel)
    const end = checkReadRange(state, from, to)
    const log = this.backing.channels.get(channel)
    if (log === undefined || from >= end) return []
    const out: Entry[] = []
    let bytes = 0
    for (let s = from; s < end; s++) {
      const entry = log.entries[s - state.firstSeq] as Entry
      if (options.maxEntries !== undefined && out.length >= options.maxEntries) break
      bytes += entry.payload.byteLength
      if (options.maxBytes !== undefined && out.length > 0 && bytes > options.maxBytes) break
      this.#verify(entry, out[out.length - 1])
      out.push(copyEntry(entry))
    }
    return out
  }

  async skipTo(channel: ChannelId, target: Seq, anchorHash?: Uint8Array): Promise<ChannelState> {
    const log = this.#log(channel)
    const next = applySkipTo(log.state, target, anchorHash)
    if (next !== log.state) {
      log.entries = []
      log.state = next
      this.backing.channels.set(channel, log)
    }
    return next
  }

  async truncateAfter(channel: ChannelId, lastKept: number): Promise<ChannelState> {
    const log = this.#log(channel)
    const end = checkTruncate(log.state, lastKept)
    if (end === undefined) return log.state
    const kept = log.entries.slice(0, end - log.state.firstSeq)
    const last = kept[kept.length - 1]
    const dropped = log.entries.slice(kept.length)
    const droppedBytes = dropped.reduce((sum, e) => sum + e.payload.byteLength, 0)
    const marks = this.#marks(channel)
    marks.apply(marks.planTruncate(dropped))
    // With nothing left, the tail hash is the prevHash of the first dropped entry.
    const lastHash = last?.hash ?? (dropped[0] as Entry).prevHash
    log.entries = kept
    log.state = {
      ...log.state,
      nextSeq: end,
      lastHash,
      payloadBytes: log.state.payloadBytes - droppedBytes,
    }
    return log.state
  }

  async setRetention(channel: ChannelId, policy: RetentionPolicy): Promise<ChannelState> {
    const log = this.#log(channel)
    log.state = { ...log.state, retention: checkRetentionPolicy(channel, policy) }
    this.backing.channels.set(channel, log)
    return log.state
  }

  async sweepRetention(channel: ChannelId): Promise<SweepResult> {
    const log = this.#log(channel)
    const plan = new SweepPlan(log.state)
    for (const entry of log.entries) if (!plan.take(entry.payload.byteLength)) break
    if (plan.entries > 0) {
      log.entries = log.entries.slice(plan.entries)
      log.state = {
        ...log.state,
        firstSeq: (log.state.firstSeq + plan.entries) as Seq,
        payloadBytes: log.state.payloadBytes - plan.bytes,
      }
    }
    return { evictedEntries: plan.entries, evictedBytes: plan.bytes }
  }

  async deleteChannel(channel: ChannelId): Promise<void> {
    this.#checkOpen()
    this.backing.channels.delete(channel)
    this.backing.marks.delete(channel)
    this.backing.outboxes.delete(channel)
  }

  authorMark(channel: ChannelId, author: PeerId): number {
    this.#checkOpen()
    return this.#marks(channel).get(author)
  }

  async outbox(channel: ChannelId): Promise<OutboxEntry[]> {
    this.#checkOpen()
    const box = this.backing.outboxes.get(channel)
    if (box === undefined) return []
    return [...box.values()]
      .sort(compareWriteKeys)
      .map((e) => ({ ...e, payload: e.payload.slice() }))
  }

  outboxSize(channel: ChannelId): number {
    this.#checkOpen()
    return this.backing.outboxes.get(channel)?.size ?? 0
  }

  async putOutbox(
    channel: ChannelId,
    entries: readonly OutboxEntry[],
    options: PutOutboxOptions = {},
  ): Promise<void> {
    this.#checkOpen()
    const box = this.backing.outboxes.get(channel) ?? new Map<string, OutboxEntry>()
    const fresh = entries.filter((e) => !box.has(writeKey(e)))
    if (options.force !== true && box.size + fresh.length > this.#outboxCapacity) {
      throw new OutboxFullError('the outbox is full', {
        details: { channel, held: box.size, adding: fresh.length, capacity: this.#outboxCapacity },
      })
    }
    for (const entry of fresh) box.set(writeKey(entry), copyOutboxEntry(entry))
    this.backing.outboxes.set(channel, box)
  }

  async removeOutbox(channel: ChannelId, keys: readonly WriteKey[]): Promise<void> {
    this.#checkOpen()
    const box = this.backing.outboxes.get(channel)
    if (box === undefined) return
    for (const key of keys) box.delete(writeKey(key))
    if (box.size === 0) this.backing.outboxes.delete(channel)
  }

  #marks(channel: ChannelId): AuthorMarks {
    let marks = this.backing.marks.get(channel)
    if (marks === undefined) {
      marks = new AuthorMarks(this.#maxAuthorMarks)
      this.backing.marks.set(channel, marks)
    }
    return marks
  }

  #verify(entry: Entry, previous: Entry | undefined): void {
    if (this.#hasher === undefined) return
    const linked = previous === undefined || equals(entry.prevHash, previous.hash)
    if (!linked || !equals(computeEntryHash(this.#hasher, entry), entry.hash)) {
      throw new CorruptLogError(`stored entry ${entry.seq} failed verification`, {
        details: { channel: entry.channel, seq: entry.seq },
      })
    }
  }

  #log(channel: ChannelId): ChannelLog {
    this.#checkOpen()
    return this.backing.channels.get(channel) ?? { state: emptyChannelState(channel), entries: [] }
  }

  #checkOpen(): void {
    if (!this.#open) throw new ClosedError('the log store is not open')
  }
}
