/**
 * A replica asks this peer for entries. Only a leader serves; every chunk
 * must fit the bandwidth budget for the request's class; the role is
 * checked again after the (asynchronous) read.
 */
import type { PeerId, Seq } from '../log/ids.js'
import type { SyncRequest } from './messages.js'
import { responseCount } from './packed-response.js'
import { estimateResponseBytes } from './response-size.js'
import { sendNack, sendSyncResponse } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'
import { handleSyncRequest } from './sync-request-handler.js'

export async function onSyncRequest(
  ctx: RuntimeContext,
  from: PeerId,
  asked: SyncRequest,
  mayPark = true,
): Promise<void> {
  // seed 001: a misrouted request must not be served from this channel.
  if (asked.channelId !== ctx.channel) {
    ctx.drops.record('wrong-channel')
    return
  }
  // A non-leader answers not-leader so the replica looks for the leader again.
  if (ctx.coordinator.role !== 'leader') {
    ctx.served.forget()
    await sendNack(ctx, from, asked, 'not-leader')
    return
  }
  // Beyond the seed: a chained read-ahead starts where our last answer ended.
  const since = ctx.served.startOf(from, asked)
  const request = since === asked.sinceSeq ? asked : { ...asked, sinceSeq: since }
  // Beyond the seed: a caught-up replica's request waits for the next append.
  if (mayPark && ctx.parkHoldMs > 0 && request.sinceSeq === ctx.store.state(ctx.channel).nextSeq) {
    ctx.metrics.add('requestsParkedTotal')
    const displaced = ctx.parked.park(from, request, ctx.clock.now())
    if (displaced !== undefined) await onSyncRequest(ctx, from, displaced, false)
    return
  }
  const readAt = ctx.clock.now()
  const outcome = await handleSyncRequest(ctx.store, ctx.channel, request)
  ctx.metrics.add('serveReadMsTotal', ctx.clock.now() - readAt)
  if (outcome.kind === 'nack') {
    await sendNack(
      ctx,
      from,
      request,
      outcome.reason,
      outcome.leaderFirstRetainedSeq,
      outcome.detail,
    )
    return
  }
  const bytes = estimateResponseBytes(outcome.response)
  if (
    !ctx.budget.tryConsume(bytes, request.bandwidthClass, ctx.clock.now(), ctx.backgroundFraction)
  ) {
    await sendNack(ctx, from, request, 'backpressure')
    return
  }
  // seed 001: the role may have changed while we read; a peer that
  // no longer leads must not ship a chunk. (The refund is ours: nothing
  // was sent, so nothing should be charged.)
  if (ctx.coordinator.role !== 'leader') {
    ctx.budget.refund(bytes)
    await sendNack(ctx, from, request, 'not-leader')
    return
  }
  // Counted before the send: these bytes were read whatever the send does.
  ctx.metrics.add('syncBytesTotal', bytes)
  // seed 001: a send that fails synchronously refunds the budget, or a
  // flaky link would drain it into permanent backpressure.
  const sendAt = ctx.clock.now()
  const sent = await sendSyncResponse(ctx, from, outcome.response)
  ctx.metrics.add('serveSendMsTotal', ctx.clock.now() - sendAt)
  if (!sent) {
    ctx.budget.refund(bytes)
    return
  }
  const end = outcome.response.firstSeq + responseCount(outcome.response)
  ctx.served.answered(from, request.requestId, end as Seq)
}

/** The leader's tail moved (or it stopped leading): answer every parked request now. */
export async function serveParked(ctx: RuntimeContext): Promise<void> {
  for (const [peer, request] of ctx.parked.takeAll()) {
    ctx.metrics.add('parkedServedByAppendTotal')
    await onSyncRequest(ctx, peer, request, false)
  }
}

/** Answers the requests parked longer than the hold (empty, unless the tail moved meanwhile). */
export async function expireParked(ctx: RuntimeContext): Promise<void> {
  const expired =
    ctx.coordinator.role === 'leader'
      ? ctx.parked.takeExpired(ctx.clock.now(), ctx.parkHoldMs)
      : ctx.parked.takeAll()
  for (const [peer, request] of expired) await onSyncRequest(ctx, peer, request, false)
}
