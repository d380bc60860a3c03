/**
 * Moving the outbox along, once per heartbeat and whenever something
 * changed (a pending append, a new leader):
 *
 * 1. On the leader, its own outbox (its writes queued while it was not
 *    leader, and writes put back by divergence repair) is proposed to
 *    itself: committed under the same dedupe rule as a forwarded batch.
 * 2. Writes now in the local log (the author's mark reached them) are
 *    dropped from the outbox and announced as committed. Only this, never
 *    a send, ends a write's stay in the outbox.
 * 3. On any other peer, what is left goes to the believed leader in
 *    bounded Propose batches, no sooner than the forward schedule allows.
 */
import type { Entry } from '../log/entry.js'
import type { Seq } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'
import { commitProposals } from './on-propose.js'
import { proposeBatches } from './propose-message.js'
import type { RuntimeContext } from './runtime-context.js'
import type { CommittedWrite } from './runtime-events.js'

/** Propose frames one forward sends at most; the rest wait for the next. */
export const FORWARD_MAX_BATCHES = 4
/** Newest log entries read to tell committed writes their seqs. */
export const SETTLE_SCAN_MAX_ENTRIES = 4096

function keyOf(write: { readonly author: string; readonly authorSeq: number }): string {
  return `${write.author}\n${write.authorSeq}`
}

export async function moveOutbox(ctx: RuntimeContext): Promise<void> {
  const { nextSeq } = ctx.store.state(ctx.channel)
  if (ctx.store.outboxSize(ctx.channel) === 0) {
    ctx.outbox.checkedThrough = nextSeq
    return
  }
  // A long-offline peer may hold thousands of writes: read them only when
  // the log moved (some may be committed) or a forward is due.
  if (ctx.coordinator.role !== 'leader' && nextSeq === ctx.outbox.checkedThrough) {
    const leader = ctx.tracker.believedLeader
    if (leader === undefined || leader === ctx.self) return
    if (!ctx.outbox.forward.isDue(leader, ctx.clock.now())) return
  }
  let outbox = await ctx.store.outbox(ctx.channel)
  if (ctx.coordinator.role === 'leader' && (await commitProposals(ctx, outbox)) > 0) {
    outbox = await ctx.store.outbox(ctx.channel)
  }
  const left = await settle(ctx, outbox)
  if (ctx.coordinator.role !== 'leader') await forward(ctx, left)
}

/** Drops the writes the local log holds; returns the rest. */
async function settle(ctx: RuntimeContext, outbox: OutboxEntry[]): Promise<OutboxEntry[]> {
  const committed: OutboxEntry[] = []
  const left: OutboxEntry[] = []
  for (const write of outbox) {
    if (write.authorSeq <= ctx.store.authorMark(ctx.channel, write.author)) committed.push(write)
    else left.push(write)
  }
  const state = ctx.store.state(ctx.channel)
  if (committed.length > 0) {
    const seqs = await seqsSince(ctx, ctx.outbox.checkedThrough)
    await ctx.store.removeOutbox(ctx.channel, committed)
    ctx.metrics.add('outboxCommittedTotal', committed.length)
    ctx.outbox.forward.progress()
    const writes = committed.map(({ author, authorSeq }): CommittedWrite => {
      const seq = seqs.get(keyOf({ author, authorSeq }))
      return seq === undefined ? { author, authorSeq } : { author, authorSeq, seq }
    })
    ctx.events.emit('writes-committed', { writes })
  }
  ctx.outbox.checkedThrough = state.nextSeq
  return left
}

/** Seqs of the writes the log gained since `from` (its newest entries only). */
async function seqsSince(ctx: RuntimeContext, from: number): Promise<Map<string, Seq>> {
  const { firstSeq, nextSeq } = ctx.store.state(ctx.channel)
  const start = Math.max(from, firstSeq, nextSeq - SETTLE_SCAN_MAX_ENTRIES)
  const seqs = new Map<string, Seq>()
  if (start >= nextSeq) return seqs
  const entries: Entry[] = await ctx.store.read(ctx.channel, start as Seq, nextSeq)
  for (const entry of entries) seqs.set(keyOf(entry), entry.seq)
  return seqs
}

async function forward(ctx: RuntimeContext, writes: readonly OutboxEntry[]): Promise<void> {
  const leader = ctx.tracker.believedLeader
  if (writes.length === 0 || leader === undefined || leader === ctx.self) return
  const now = ctx.clock.now()
  if (!ctx.outbox.forward.isDue(leader, now)) return
  for (const entries of proposeBatches(writes).slice(0, FORWARD_MAX_BATCHES)) {
    try {
      await ctx.dispatcher.sendPropose(leader, { channelId: ctx.channel, entries })
      ctx.metrics.add('proposesSentTotal')
      ctx.metrics.add('proposedWritesSentTotal', entries.length)
    } catch {
      ctx.metrics.recordSendFailure('propose')
      break
    }
  }
  ctx.outbox.forward.sent(now, ctx.rng)
}
