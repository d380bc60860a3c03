/** A runtime's state and counters as one plain, cloneable object. */
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import type { ReplicaRole } from './messages.js'
import type { ReplicationMetricsSnapshot } from './metrics.js'
import type { InboundDropReason, RuntimeContext } from './runtime-context.js'

export interface QueueDepths {
  readonly lowLane: number
  readonly priorityLane: number
  readonly appendBacklog: number
}

export interface ReplicationRuntimeSnapshot extends ReplicationMetricsSnapshot {
  readonly channel: ChannelId
  readonly self: PeerId
  readonly role: ReplicaRole
  readonly believedLeader: PeerId | null
  /** The tail the believed leader last announced (a replica's catch-up target); null when unknown. */
  readonly leaderTailSeq: Seq | null
  /** The tail this peer advertises as a holder of the chain. */
  readonly advertisedTailSeq: Seq
  readonly drops: Readonly<Record<InboundDropReason, number>> & { readonly total: number }
  readonly queues: QueueDepths
  readonly outstandingRequests: number
  /** Live tokens evicted because the outstanding set was full. */
  readonly outstandingEvictedTotal: number
  readonly trackedPeers: number
  readonly backoffEntries: number
  readonly budgetAvailableBytes: number
  /** Writes in the outbox, waiting to be seen committed. */
  readonly outboxSize: number
}

function leaderTail(ctx: RuntimeContext): Seq | null {
  const leader = ctx.tracker.believedLeader
  return leader === undefined ? null : (ctx.tracker.peerState(leader)?.tailSeq ?? null)
}

export function runtimeSnapshot(
  ctx: RuntimeContext,
  queues: QueueDepths,
): ReplicationRuntimeSnapshot {
  return {
    ...ctx.metrics.snapshot(),
    channel: ctx.channel,
    self: ctx.self,
    role: ctx.coordinator.role,
    believedLeader: ctx.tracker.believedLeader ?? null,
    leaderTailSeq: leaderTail(ctx),
    advertisedTailSeq: ctx.coordinator.tailSeq,
    drops: ctx.drops.snapshot(),
    queues: { ...queues },
    outstandingRequests: ctx.outstanding.size,
    outstandingEvictedTotal: ctx.outstanding.evicted,
    trackedPeers: ctx.tracker.peerCount,
    backoffEntries: ctx.backoff.size,
    budgetAvailableBytes: ctx.budget.availableBytes(ctx.clock.now()),
    outboxSize: ctx.store.isOpen ? ctx.store.outboxSize(ctx.channel) : 0,
  }
}
