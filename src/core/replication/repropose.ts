/**
 * Divergence repair's promise keeper. Entries about to be cut from our log
 * (the leader's log does not have them: a partition healed, two leaders
 * wrote at once) may be acknowledged writes, ours or anyone's, that exist
 * nowhere else. Before the cut they go back into the outbox, durably and
 * past its capacity, and are proposed to the leader like any pending
 * write; the leader's dedupe drops those it already holds. Divergence is
 * counted and announced, never silent.
 */
import { authorProofOf } from '../log/entry.js'
import type { Seq } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'
import type { RuntimeContext } from './runtime-context.js'

export async function reproposeBeforeCut(
  ctx: RuntimeContext,
  fromSeq: Seq,
  toSeq: Seq,
): Promise<void> {
  if (fromSeq >= toSeq) return
  const cut = await ctx.store.read(ctx.channel, fromSeq, toSeq)
  const writes: OutboxEntry[] = cut.map((entry) => ({
    author: entry.author,
    authorSeq: entry.authorSeq,
    payload: entry.payload,
    ...authorProofOf(entry),
  }))
  await ctx.store.putOutbox(ctx.channel, writes, { force: true })
  ctx.metrics.add('divergencesTotal')
  ctx.metrics.add('reproposedWritesTotal', writes.length)
  ctx.outbox.forward.progress()
  ctx.events.emit('writes-reproposed', { fromSeq, toSeq, count: writes.length })
}
