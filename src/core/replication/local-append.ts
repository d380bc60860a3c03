/**
 * Offline-first writes (DESIGN.md): any peer may append. The leader with
 * nothing waiting in its outbox commits at once and answers with the seq.
 * Every other peer (a replica, a candidate, a peer with no leader in
 * sight) writes the entries durably into the store's outbox and answers
 * "pending": from then on the write is the runtime's to deliver, across
 * restarts, leader changes and partitions, and it lands exactly once.
 *
 * A leader with writes waiting in its outbox queues new ones behind them,
 * so its own writes still commit in authorSeq order.
 *
 * This peer numbers its writes 0, 1, 2, ... per channel: one past the
 * highest of its writes in the log (its author mark) or in the outbox.
 * A number is used only once the write is durable; a failed write gives
 * it back. A signing runtime numbers and signs its writes before they reach
 * the loop (own-write-signing); the loop checks those numbers here, where
 * they become durable, and renumbers any that went stale.
 */
import type { OutboxEntry, WriteKey } from '../log/log-store.js'
import { type AppendResult, commitAsLeader } from './leader-append.js'
import type { RuntimeContext } from './runtime-context.js'
import { signOwnWrites } from './write-signatures.js'

/** Writes `pending.authorSeq` … `pending.authorSeq + count - 1` of `pending.author` wait in the outbox. */
export interface PendingAppend {
  readonly pending: WriteKey
  readonly count: number
}

export type AppendOutcome = AppendResult | PendingAppend

export function isPending(outcome: AppendOutcome): outcome is PendingAppend {
  return 'pending' in outcome
}

/** The number this peer's next write takes: read in the loop, the authority on it. */
export async function nextAuthorSeq(ctx: RuntimeContext): Promise<number> {
  const mark = ctx.store.authorMark(ctx.channel, ctx.self)
  if (ctx.outbox.nextAuthorSeq === undefined) {
    let highest = mark
    if (ctx.store.outboxSize(ctx.channel) > 0) {
      for (const entry of await ctx.store.outbox(ctx.channel)) {
        if (entry.author === ctx.self && entry.authorSeq > highest) highest = entry.authorSeq
      }
    }
    ctx.outbox.nextAuthorSeq = highest + 1
  }
  return Math.max(ctx.outbox.nextAuthorSeq, mark + 1)
}

/** This peer's drafts for `payloads`, numbered from `first`, unsigned. */
export function ownDrafts(
  ctx: RuntimeContext,
  first: number,
  payloads: readonly Uint8Array[],
): OutboxEntry[] {
  return payloads.map((payload, i) => ({ author: ctx.self, authorSeq: first + i, payload }))
}

export async function appendLocal(
  ctx: RuntimeContext,
  payloads: readonly Uint8Array[],
): Promise<AppendOutcome> {
  if (payloads.length === 0) return emptyAppend(ctx)
  const first = await nextAuthorSeq(ctx)
  // Signed once, here, where the payload becomes a draft; the signature
  // travels with it through the outbox to whoever commits it.
  return storeOwnWrites(ctx, first, await signOwnWrites(ctx, ownDrafts(ctx, first, payloads)))
}

/**
 * Like `appendLocal` for drafts numbered and signed before they reached
 * the loop (own-write-signing). Their numbers were a reservation: if they
 * are not the next ones here (an earlier write failed, or the log moved
 * this author's mark), they are renumbered and signed again, in the loop,
 * so no write of this author ever leaves a hole or takes a number twice.
 */
export async function appendSignedLocal(
  ctx: RuntimeContext,
  writes: readonly OutboxEntry[],
): Promise<AppendOutcome> {
  const head = writes[0]
  if (head === undefined) return emptyAppend(ctx)
  const first = await nextAuthorSeq(ctx)
  if (head.authorSeq === first) return storeOwnWrites(ctx, first, writes)
  ctx.metrics.add('ownWritesResignedTotal')
  const drafts = ownDrafts(
    ctx,
    first,
    writes.map((write) => write.payload),
  )
  return storeOwnWrites(ctx, first, await signOwnWrites(ctx, drafts))
}

function emptyAppend(ctx: RuntimeContext): AppendOutcome {
  const { nextSeq } = ctx.store.state(ctx.channel)
  return { firstSeq: nextSeq, nextSeq }
}

async function storeOwnWrites(
  ctx: RuntimeContext,
  first: number,
  writes: readonly OutboxEntry[],
): Promise<AppendOutcome> {
  try {
    const leading = ctx.coordinator.role === 'leader' && ctx.handoff.outgoing === undefined
    if (leading && ctx.store.outboxSize(ctx.channel) === 0) {
      const result = await commitAsLeader(ctx, writes)
      ctx.outbox.nextAuthorSeq = first + writes.length
      return result
    }
    await ctx.store.putOutbox(ctx.channel, writes)
    ctx.outbox.nextAuthorSeq = first + writes.length
  } catch (error) {
    // Nothing was written: the numbers are free again (read back on next use).
    ctx.outbox.nextAuthorSeq = undefined
    throw error
  }
  ctx.metrics.add('pendingAppendsTotal')
  ctx.events.emit('writes-pending', {
    writes: writes.map(({ author, authorSeq }) => ({ author, authorSeq })),
  })
  return { pending: { author: ctx.self, authorSeq: first }, count: writes.length }
}
