/**
 * The storage seam. Every implementation (MemoryLogStore in core, IdbLogStore
 * in the browser) passes the same contract suite, `defineLogStoreContract`.
 *
 * A store keeps, per channel, a dense run of entries [firstSeq, nextSeq) that
 * chain by hash. Entries below firstSeq were evicted (retention) or skipped
 * (skipTo). The store checks structure on append (channel, seqs, prevHash
 * linkage); it does not recompute hashes there: entries reach it through
 * `sealEntries` (local writes) or `verifyEntries` (remote writes), which do.
 * Reads re-verify what comes back from storage.
 */
import type { Entry, EntryDraft } from './entry.js'
import type { EntryRun } from './entry-run.js'
import type { ChannelId, PeerId, Seq } from './ids.js'

export interface RetentionPolicy {
  /** Keep at most this many entries (oldest evicted first). */
  readonly maxEntries?: number
  /** Keep at most this many payload bytes (oldest evicted first). */
  readonly maxBytes?: number
}

export interface ChannelState {
  readonly channel: ChannelId
  /** First retained seq; equals `nextSeq` when the channel holds nothing. */
  readonly firstSeq: Seq
  /** The seq the next appended entry must carry: the tail. */
  readonly nextSeq: Seq
  /** Hash of entry `nextSeq - 1`, or the genesis/anchor hash. */
  readonly lastHash: Uint8Array
  /**
   * False after `skipTo` without an anchor hash: the next append may start a
   * chain from any prevHash (the entries before it are unknown here).
   */
  readonly anchored: boolean
  /** Sum of retained payload bytes. */
  readonly payloadBytes: number
  readonly retention: RetentionPolicy
}

export interface ReadOptions {
  /** Stop after this many entries. */
  readonly maxEntries?: number
  /** Stop before exceeding this many payload bytes (always returns at least one entry). */
  readonly maxBytes?: number
  /**
   * The caller only reads what it gets (encodes it, hashes it) and lets go:
   * the store may hand out views of memory it keeps instead of copies.
   */
  readonly shared?: boolean
}

export interface SweepResult {
  readonly evictedEntries: number
  readonly evictedBytes: number
}

/**
 * A write waiting in the outbox: appended here while no leader could take it,
 * kept until the peer sees it committed in the channel's log. `signature`
 * (when the author signs) travels untouched.
 */
export interface OutboxEntry extends EntryDraft {
  readonly signature?: Uint8Array
}

/** Names one write: its author and the author's own sequence number. */
export interface WriteKey {
  readonly author: PeerId
  readonly authorSeq: number
}

export interface PutOutboxOptions {
  /**
   * Re-proposals of entries cut from the log go in even past the outbox's
   * capacity: refusing them would lose writes already acknowledged.
   */
  readonly force?: boolean
}

export interface LogStore {
  /** Opens the backing storage. Idempotent. */
  open(): Promise<void>
  /** Waits for queued writes to settle, then closes. Idempotent. */
  close(): Promise<void>
  readonly isOpen: boolean

  /** Channels this store holds state for. */
  channels(): ChannelId[]
  /** Committed state of a channel (an empty state for unknown channels). */
  state(channel: ChannelId): ChannelState

  /**
   * Appends a batch atomically: all entries or none. The batch must start at
   * `nextSeq`, be dense, and chain onto `lastHash`. Resolves once durable.
   * Concurrent appends are serialized; each is checked against the state
   * left by the ones before it.
   */
  append(channel: ChannelId, entries: readonly Entry[]): Promise<ChannelState>

  /**
   * As `append`, for entries already packed (a replica stores a verified
   * chunk as it came off the wire). The run must start at `nextSeq` and
   * chain onto `lastHash`.
   */
  appendRun(channel: ChannelId, run: EntryRun): Promise<ChannelState>

  /**
   * Entries with `from <= seq < to` (to defaults to the tail), oldest first,
   * verified against their hashes. `from` below `firstSeq` throws
   * RangeEvictedError; `to` past the tail is clamped.
   */
  read(channel: ChannelId, from: Seq, to?: Seq, options?: ReadOptions): Promise<Entry[]>

  /** As `read`, packed: the same entries as one run (empty, starting at `from`, if none). */
  readRun(channel: ChannelId, from: Seq, to?: Seq, options?: ReadOptions): Promise<EntryRun>

  /**
   * Moves an (otherwise behind) log forward to `seq`: drops every retained
   * entry and sets firstSeq = nextSeq = seq. `anchorHash`, when known, is the
   * hash of entry `seq - 1`. Only moves forward; use `truncateAfter` to cut back.
   */
  skipTo(channel: ChannelId, seq: Seq, anchorHash?: Uint8Array): Promise<ChannelState>

  /**
   * Drops every entry after `lastKept` (`firstSeq - 1` drops all retained
   * entries). A no-op when `lastKept >= nextSeq - 1`.
   */
  truncateAfter(channel: ChannelId, lastKept: number): Promise<ChannelState>

  /** Sets the channel's retention policy (persisted); does not sweep. */
  setRetention(channel: ChannelId, policy: RetentionPolicy): Promise<ChannelState>

  /** Evicts the oldest entries until the channel fits its retention policy. */
  sweepRetention(channel: ChannelId): Promise<SweepResult>

  /** Forgets a channel entirely, its outbox and author marks too. */
  deleteChannel(channel: ChannelId): Promise<void>

  /**
   * The highest `authorSeq` of `author` in the channel's log (0 when none).
   * Maintained by `append` and `truncateAfter` in the same atomic write, so
   * it always matches the log; `skipTo` and retention keep it (the evicted
   * entries are still part of the channel's history). Bounded per channel:
   * past `maxAuthorMarks` authors, the least recently written is forgotten.
   */
  authorMark(channel: ChannelId, author: PeerId): number

  /** Entries in the channel's outbox, ordered by author then authorSeq. */
  outbox(channel: ChannelId): Promise<OutboxEntry[]>
  /** How many entries the channel's outbox holds. */
  outboxSize(channel: ChannelId): number
  /**
   * Adds entries to the outbox atomically and durably; an entry whose key is
   * already there is left as it was. Past the outbox's capacity the whole
   * batch is refused with OutboxFullError unless `force`.
   */
  putOutbox(
    channel: ChannelId,
    entries: readonly OutboxEntry[],
    options?: PutOutboxOptions,
  ): Promise<void>
  /** Removes the entries with these keys (absent keys are ignored). */
  removeOutbox(channel: ChannelId, keys: readonly WriteKey[]): Promise<void>
}
