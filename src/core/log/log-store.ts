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
import type { Entry } from './entry.js'
import type { ChannelId, Seq } from './ids.js'

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
}

export interface SweepResult {
  readonly evictedEntries: number
  readonly evictedBytes: number
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
   * Entries with `from <= seq < to` (to defaults to the tail), oldest first,
   * verified against their hashes. `from` below `firstSeq` throws
   * RangeEvictedError; `to` past the tail is clamped.
   */
  read(channel: ChannelId, from: Seq, to?: Seq, options?: ReadOptions): Promise<Entry[]>

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

  /** Forgets a channel entirely. */
  deleteChannel(channel: ChannelId): Promise<void>
}
