/**
 * The leader refused our request. Only the followed leader's NACK for a
 * request still in flight counts: otherwise any member could make us drop
 * our leader or skip our tail forward over entries in flight.
 */
import type { PeerId, Seq } from '../log/ids.js'
import type { SyncNack } from './messages.js'
import { clearLeaderBelief, transition } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'

export async function onSyncNack(ctx: RuntimeContext, from: PeerId, nack: SyncNack): Promise<void> {
  if (nack.channelId !== ctx.channel) {
    ctx.drops.record('wrong-channel')
    return
  }
  if (ctx.tracker.believedLeader !== from) {
    ctx.drops.record('not-believed-leader')
    return
  }
  // seed 001: a stale bad-range could skip our log over data; only
  // a NACK for a live request acts.
  if (!ctx.outstanding.take(from, nack.requestId, ctx.clock.now())) {
    ctx.drops.record('unknown-request')
    return
  }
  ctx.metrics.recordNackReceived(nack.reason)
  switch (nack.reason) {
    case 'not-leader':
      // seed 001: re-resolve the leader now, not after three missed beats.
      clearLeaderBelief(ctx)
      return
    case 'bad-range':
      await skipToLeaderFloor(ctx, from, nack)
      return
    case 'backpressure':
      // Nothing to undo: the next tick asks again.
      return
    case 'channel-closed':
      // channel-close is valid from every role, whatever we became meanwhile.
      await transition(ctx, 'idle', 'channel-close')
      return
  }
}

/**
 * seed 001: jump straight to the leader's first retained seq; one
 * seq per round trip would re-ask below the floor again and again. A leader
 * that sent 0 (unknown) moves us past the refused seq at least.
 */
async function skipToLeaderFloor(ctx: RuntimeContext, from: PeerId, nack: SyncNack): Promise<void> {
  ctx.metrics.add('skipAheadTotal')
  const target = (
    nack.leaderFirstRetainedSeq > 0 ? nack.leaderFirstRetainedSeq : nack.sinceSeq + 1
  ) as Seq
  const tail = ctx.store.state(ctx.channel).nextSeq
  // skipTo drops every retained entry; never do that without moving forward.
  if (target <= tail) {
    ctx.drops.record('skip-rejected')
    return
  }
  try {
    await ctx.store.skipTo(ctx.channel, target)
  } catch {
    ctx.drops.record('skip-rejected')
    return
  }
  ctx.events.emit('skip-ahead', { from, fromSeq: tail, toSeq: target, cause: 'bad-range' })
}
