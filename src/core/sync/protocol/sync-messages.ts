/**
 * The five frames of a sync session, as plain readonly data; the codec in
 * `src/core/wire/sync-frame-codec.ts` encodes exactly these fields. A
 * session is one initiator and one responder on one channel, named by a
 * random 64-bit `sessionId` chosen by the initiator; every frame echoes it.
 *
 *   initiator                         responder
 *   sync-open  (our head)       ──▶
 *                               ◀──   sync-head (its head, its root at our
 *                                     size, consistency proof)
 *   sync-fetch (from, caps)     ──▶                 ┐ repeated until caught
 *                               ◀──   sync-chunk    ┘ up (range proof each)
 *   sync-close (done)           ──▶   (either side may close, with a reason)
 */
import type { Entry } from '../../log/entry.js'
import type { ChannelId, Seq } from '../../log/ids.js'
import type { TreeHead } from '../merkle-hash.js'

/** Why a session ended; the order fixes the wire code. */
export const SYNC_CLOSE_REASONS = [
  /** The initiator has what it wanted. */
  'done',
  /** The initiator gave up (deadline, stop, a frame it could not accept). */
  'aborted',
  /** The responder is serving as many sessions as it allows. */
  'busy',
  /** The responder does not hold the channel. */
  'unknown-channel',
  /** The responder holds no Merkle tree for the channel (its log does not start at seq 0). */
  'unavailable',
  /** The responder does not serve this peer. */
  'not-authorized',
  /** The fetch asked for a range outside the head the responder announced. */
  'bad-range',
  /** Retention evicted the entries asked for. */
  'evicted',
  /** The responder's log changed under the session (truncated, rebuilt). */
  'log-changed',
  /** The responder heard nothing from the initiator for too long. */
  'idle-timeout',
  'shutting-down',
] as const
export type SyncCloseReason = (typeof SYNC_CLOSE_REASONS)[number]

/** Longest `SyncClose.detail`, in UTF-16 code units; longer details are cut. */
export const SYNC_CLOSE_DETAIL_MAX_LENGTH = 256
/** No honest Merkle proof over a tree of < 2^53 leaves has more hashes. */
export const MAX_PROOF_HASHES = 2 * 54

/** The initiator opens a session with its own head. */
export interface SyncOpen {
  readonly channelId: ChannelId
  readonly sessionId: bigint
  readonly head: TreeHead
}

/**
 * The responder's head, and its root at `prefix.size = min(ours, theirs)`
 * with a consistency proof from that prefix to its head: the initiator
 * learns whether the responder's log extends its own, without trusting it.
 */
export interface SyncHead {
  readonly channelId: ChannelId
  readonly sessionId: bigint
  readonly head: TreeHead
  readonly prefix: TreeHead
  readonly consistency: readonly Uint8Array[]
}

/** The initiator asks for entries from `fromSeq`, proven against the tree of `treeSize`. */
export interface SyncFetch {
  readonly channelId: ChannelId
  readonly sessionId: bigint
  /** Counts the session's fetches from 1; the chunk echoes it, so a duplicate is recognised. */
  readonly requestSeq: number
  readonly fromSeq: Seq
  readonly treeSize: number
  readonly maxEntries: number
  /** Largest chunk, in payload bytes (a single larger entry is still sent alone). */
  readonly maxBytes: number
}

/** A dense run of entries with the range proof placing them in the tree of `treeSize`. */
export interface SyncChunk {
  readonly channelId: ChannelId
  readonly sessionId: bigint
  readonly requestSeq: number
  readonly firstSeq: Seq
  readonly treeSize: number
  readonly proof: readonly Uint8Array[]
  readonly entries: readonly Entry[]
}

export interface SyncClose {
  readonly channelId: ChannelId
  readonly sessionId: bigint
  readonly reason: SyncCloseReason
  readonly detail: string
}
