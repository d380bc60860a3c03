/**
 * An inbound heartbeat: record it, settle a dual-leader standoff, and (as
 * a replica) pull at once when the leader says it is ahead.
 */
import type { PeerId } from '../log/ids.js'
import { claimedRole, followExpectedSuccessor, settleHandoffClaim } from './leader-handoff.js'
import type { SyncHeartbeat } from './messages.js'
import { pullNow, transition } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'

/**
 * seed 001: when two peers both lead (a symmetric election, a
 * healed partition), the one with the higher tail keeps leading; on equal
 * tails the smaller peer id does. Both sides compute the same answer.
 */
export function localWinsLeaderTiebreak(
  self: PeerId,
  localTail: number,
  peer: PeerId,
  peerTail: number,
): boolean {
  return localTail > peerTail || (localTail === peerTail && self < peer)
}

export async function onHeartbeat(
  ctx: RuntimeContext,
  from: PeerId,
  message: SyncHeartbeat,
): Promise<void> {
  // seed 001: a misrouted heartbeat must not poison the tracker.
  if (message.channelId !== ctx.channel) {
    ctx.drops.record('wrong-channel')
    return
  }
  const { tracker } = ctx
  const followedBefore = tracker.believedLeader
  tracker.recordHeartbeat(from, claimedRole(ctx, from, message), message.tailSeq, ctx.clock.now())
  followExpectedSuccessor(ctx, from, message)
  if (followedBefore !== undefined && tracker.believedLeader !== followedBefore) {
    ctx.outstanding.clearLeader(followedBefore)
    ctx.chainCheck.forget()
  }

  const localTail = ctx.store.state(ctx.channel).nextSeq
  if (message.role === 'leader' && ctx.coordinator.role === 'leader' && from !== ctx.self) {
    if (await settleHandoffClaim(ctx, from, message)) return
    if (!localWinsLeaderTiebreak(ctx.self, localTail, from, message.tailSeq)) {
      // The loser concedes; the next ticks re-resolve through heartbeats.
      await transition(ctx, 'replica', 'peer-leader-observed')
    }
    return
  }
  if (tracker.believedLeader === from && message.tailSeq > localTail) await pullNow(ctx, from)
}
