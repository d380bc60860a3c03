/**
 * Beyond the seed: a replica drops the part of its log its leader does not
 * have. The seed's dual-leader tiebreak demotes one of two leaders but
 * leaves its divergent suffix in place, and a replica that followed the
 * loser keeps the loser's entries too; without this they would never
 * converge (the leader's next chunk does not chain onto them, forever).
 * Found by the simulator (invariant 3): see src/core/sim.
 *
 * Only the followed leader's answer to a request in flight leads here (the
 * token and belief gates come first), and only entries the leader's own
 * chunk contradicts, or that lie past the end of the leader's log, are cut.
 * Before anything is cut, the cut entries go back into the outbox to be
 * proposed to the leader (repropose.ts): an acknowledged write among them
 * is never lost (DESIGN.md, invariant 1).
 */
import type { PeerId, Seq } from '../log/ids.js'
import { reproposeBeforeCut } from './repropose.js'
import { pullNow } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'

async function truncate(
  ctx: RuntimeContext,
  from: PeerId,
  newTail: Seq,
  cause: 'diverged' | 'beyond-leader',
): Promise<boolean> {
  const tail = ctx.store.state(ctx.channel).nextSeq
  if (newTail >= tail) return false
  await reproposeBeforeCut(ctx, newTail, tail)
  await ctx.store.truncateAfter(ctx.channel, newTail - 1)
  noteCut(ctx, from, newTail, tail, cause)
  return true
}

/**
 * Counts and announces entries cut (or replaced in apply) because the
 * leader lacks them, and retires the requests in flight to it: they asked
 * from a tail we no longer have, and their answers would now start past
 * it and read as a gap, skipping our log forward over what we just cut.
 */
export function noteCut(
  ctx: RuntimeContext,
  from: PeerId,
  fromSeq: Seq,
  toSeq: Seq,
  cause: 'diverged' | 'beyond-leader' | 'replaced',
): void {
  ctx.outstanding.clearLeader(from)
  ctx.metrics.add('divergentEntriesCutTotal', toSeq - fromSeq)
  ctx.events.emit('log-truncated', { from, fromSeq, toSeq, cause })
}

/**
 * The leader's chunk does not attach to our log: our entry at `atSeq` is
 * not the leader's. Cut it (and, on repeated divergence, more below it,
 * see ChainCheck.cutBack) and ask again at once.
 */
export async function cutDivergentTail(
  ctx: RuntimeContext,
  from: PeerId,
  atSeq: Seq,
): Promise<void> {
  const { firstSeq } = ctx.store.state(ctx.channel)
  const newTail = Math.max(firstSeq, atSeq - ctx.chainCheck.cutBack(from)) as Seq
  if (!(await truncate(ctx, from, newTail, 'diverged'))) {
    // The fork is below everything we hold: nothing left to cut here.
    ctx.drops.record('diverged-below-floor')
    return
  }
  await pullNow(ctx, from)
}

/**
 * The leader answered an empty chunk at `end`, below our tail: its log
 * ended there when it read. Our entries from `end` are not the leader's,
 * but only if we held them when we asked (`heldTail`): the ones that
 * arrived since may be entries the leader appended after it read (a slow
 * answer to an older request, overtaken by later ones). And not while its
 * heartbeat says it has more by now.
 *
 * Found by the main-thread budget test (100,000 entries between two tabs,
 * 1 run in 3): the heartbeat's tail is the highest one a replica
 * confirmed, so it lags; a late answer ending at 5242, when the replica
 * held 9000 of the leader's entries, cut them all, and the page saw
 * entries 5242-8999 twice (after a reset).
 */
export async function trimBeyondLeader(
  ctx: RuntimeContext,
  from: PeerId,
  end: Seq,
  heldTail: number | undefined,
): Promise<boolean> {
  if (heldTail === undefined || end >= heldTail) return false
  const leaderTail = ctx.tracker.peerState(from)?.tailSeq
  if (leaderTail === undefined || leaderTail > end) return false
  return truncate(ctx, from, end, 'beyond-leader')
}
