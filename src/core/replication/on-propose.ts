/**
 * The leader's side of forwarded writes: commit what the dedupe rule
 * (propose-plan) accepts, in one atomic append. A Propose reaching a peer
 * that is not the leader is dropped and counted; its sender re-sends to
 * whichever leader it finds. With a signature policy, a forged write is
 * dropped before it can be committed.
 */
import type { PeerId } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'
import { commitAsLeader } from './leader-append.js'
import type { Propose } from './propose-message.js'
import { planProposals } from './propose-plan.js'
import type { RuntimeContext } from './runtime-context.js'
import { genuineWrites } from './write-signatures.js'

/** Commits the acceptable part of `writes`; returns how many were committed. */
export async function commitProposals(
  ctx: RuntimeContext,
  writes: readonly OutboxEntry[],
): Promise<number> {
  const plan = planProposals(writes, (author) => ctx.store.authorMark(ctx.channel, author))
  ctx.metrics.add('proposeDuplicatesTotal', plan.duplicates)
  ctx.metrics.add('proposeWaitingTotal', plan.waiting)
  if (plan.accepted.length === 0) return 0
  await commitAsLeader(ctx, plan.accepted)
  ctx.metrics.add('proposedWritesCommittedTotal', plan.accepted.length)
  return plan.accepted.length
}

export async function onPropose(
  ctx: RuntimeContext,
  _from: PeerId,
  message: Propose,
): Promise<void> {
  if (message.channelId !== ctx.channel) {
    ctx.drops.record('wrong-channel')
    return
  }
  if (ctx.coordinator.role !== 'leader') {
    ctx.drops.record('propose-not-leader')
    return
  }
  ctx.metrics.add('proposesReceivedTotal')
  await commitProposals(ctx, await genuineWrites(ctx, message.entries))
}
