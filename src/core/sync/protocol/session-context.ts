/**
 * What a running session (initiator or responder) needs from its runner:
 * the store and its Merkle trees, time, limits, the shared fetch budget,
 * counters, events, and a way to send frames to its peer.
 */
import type { EntrySignaturePolicy } from '../../crypto/entry-signing.js'
import type { TypedEventTarget } from '../../events/typed-event-target.js'
import type { ChannelId, PeerId, Seq } from '../../log/ids.js'
import type { LogStore } from '../../log/log-store.js'
import type { Logger } from '../../logger.js'
import type { Clock } from '../../time/clock.js'
import type { SyncWireFrame } from '../../wire/sync-frame-codec.js'
import type { ChannelMerkleIndex } from '../channel-merkle-index.js'
import type { TreeHead } from '../merkle-hash.js'
import type { MerkleVerifier } from '../merkle-verifier.js'
import type { FetchBudget } from './fetch-budget.js'
import type { SyncProtocolLimits } from './protocol-limits.js'
import type { SyncProtocolMetrics } from './protocol-metrics.js'
import type { SessionInbox } from './session-inbox.js'

export interface SyncProtocolEvents {
  /** The peer's log and ours differ within our log's length: reported, never repaired here. */
  'divergence-detected': {
    readonly channel: ChannelId
    readonly peer: PeerId
    readonly local: TreeHead
    readonly remote: TreeHead
  }
  /** The peer sent a proof or a chunk no honest log can produce; the manager avoids it for a while. */
  'peer-misbehaved': {
    readonly channel: ChannelId
    readonly peer: PeerId
    readonly code: string
    readonly reason: string
  }
  /** Verified entries [fromSeq, toSeq) from `peer` are now in our log. */
  'catch-up-progress': {
    readonly channel: ChannelId
    readonly peer: PeerId
    readonly fromSeq: Seq
    readonly toSeq: Seq
  }
}

export interface SessionContext {
  readonly self: PeerId
  readonly store: LogStore
  readonly index: ChannelMerkleIndex
  readonly verifier: MerkleVerifier
  readonly clock: Clock
  readonly logger: Logger
  readonly limits: SyncProtocolLimits
  readonly budget: FetchBudget
  readonly metrics: SyncProtocolMetrics
  readonly events: TypedEventTarget<SyncProtocolEvents>
  /** How authors' signatures on fetched entries are checked; without one they are not. */
  readonly signatures?: EntrySignaturePolicy
  /** Encodes and hands the frame to the transport; throws SyncSendFailedError when refused. */
  send(peer: PeerId, frame: SyncWireFrame): void
}

/** One session as its runner sees it: who, which id, and where its frames arrive. */
export interface SessionLink {
  readonly peer: PeerId
  readonly sessionId: bigint
  readonly inbox: SessionInbox<SyncWireFrame>
  readonly signal: AbortSignal
}
