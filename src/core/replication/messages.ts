/**
 * The four replication frames peers exchange for one channel (seed 001's
 * SyncHeartbeat, SyncRequest, SyncResponse and SyncNack), as plain readonly
 * data. The binary codec in `src/core/wire/` encodes exactly these fields;
 * keep this file stable and change it only together with the codec.
 *
 * Enumerations are string unions; each `as const` list below fixes the
 * order, so a codec may use the index as the wire code.
 */
import type { Entry } from '../log/entry.js'
import type { ChannelId, Seq } from '../log/ids.js'

/** A peer's role for one channel. */
export const REPLICA_ROLES = ['idle', 'candidate', 'replica', 'leader'] as const
export type ReplicaRole = (typeof REPLICA_ROLES)[number]

/**
 * How urgently a replica wants its catch-up served. The leader admits
 * `background` only while a reserve of its bandwidth budget stays free.
 */
export const BANDWIDTH_CLASSES = ['foreground', 'background'] as const
export type BandwidthClass = (typeof BANDWIDTH_CLASSES)[number]

/** Why a leader refused a SyncRequest; replicas key their retry on it. */
export const NACK_REASONS = ['not-leader', 'bad-range', 'backpressure', 'channel-closed'] as const
export type NackReason = (typeof NACK_REASONS)[number]

/** Bytes a replica asks for per SyncRequest unless configured otherwise (256 KiB). */
export const SYNC_CHUNK_MAX_DEFAULT_BYTES = 256 * 1024
/** No response chunk is ever larger than this, whatever `chunkMax` asks (64 MiB). */
export const SYNC_CHUNK_HARD_CEILING_BYTES = 64 * 1024 * 1024
/** No response carries more entries than this, however small they are. */
export const SYNC_CHUNK_MAX_ENTRIES = 16384
/** Longest `SyncNack.detail`, in UTF-16 code units; longer details are cut. */
export const SYNC_NACK_DETAIL_MAX_LENGTH = 256

/**
 * Liveness and tail, sent every heartbeat by leaders and replicas to every
 * other member of the replica set. A leader also sends one early when its
 * tail advances, so replicas pull without waiting for the next beat.
 */
export interface SyncHeartbeat {
  readonly channelId: ChannelId
  /** The sender's local tail: the seq its next entry will take. */
  readonly tailSeq: Seq
  readonly role: ReplicaRole
  /** Sender's wall clock, for drift display only; never used for ordering. */
  readonly wallClockMs: number
}

/** A replica asks the leader for entries from `sinceSeq` on. */
export interface SyncRequest {
  readonly channelId: ChannelId
  /** The replica's tail: the first seq it is missing. */
  readonly sinceSeq: Seq
  /** Largest response the replica wants, in payload bytes; 0 lets the leader choose. */
  readonly chunkMax: number
  /** Random unsigned 64-bit token; the response or NACK echoes it. */
  readonly requestId: bigint
  readonly bandwidthClass: BandwidthClass
  /**
   * Beyond the seed (chained read-ahead): start where the answer to this
   * earlier request of the same replica ended, if that was the leader's
   * last answer to it; `sinceSeq` is then only the replica's estimate.
   */
  readonly afterRequestId?: bigint
}

/** The leader's answer: a dense, hash-chained run of entries starting at `firstSeq`. */
export interface SyncResponse {
  readonly channelId: ChannelId
  /** Seq of `entries[0]` (or, when empty, of the entry that would come first). */
  readonly firstSeq: Seq
  /** The oldest seq the leader still holds; tells a retention trim from divergence. */
  readonly leaderFirstRetainedSeq: Seq
  readonly entries: readonly Entry[]
  /** The `requestId` of the SyncRequest this answers. */
  readonly requestId: bigint
}

/** The leader refuses a SyncRequest. */
export interface SyncNack {
  readonly channelId: ChannelId
  /** The `sinceSeq` of the refused request. */
  readonly sinceSeq: Seq
  readonly reason: NackReason
  /** With `bad-range`: the oldest seq the leader holds (0 when unknown). */
  readonly leaderFirstRetainedSeq: Seq
  /** The `requestId` of the refused request. */
  readonly requestId: bigint
  /** Human-readable context, at most SYNC_NACK_DETAIL_MAX_LENGTH; may be empty. */
  readonly detail: string
}
