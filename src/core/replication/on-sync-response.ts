/**
 * A chunk from the leader. It must answer a request still in flight, come
 * from the leader this replica follows, and find us a replica; then it is
 * verified and applied, and the outcome drives catch-up backoff, the
 * disk-pressure policy, a skip-ahead, or (beyond the seed) cutting the
 * part of our log the leader does not have (divergence-repair).
 */
import type { PeerId, Seq } from '../log/ids.js'
import { HashMismatchError } from '../log/log-errors.js'
import { cutDivergentTail, noteCut, trimBeyondLeader } from './divergence-repair.js'
import { SYNC_CHUNK_MAX_ENTRIES, type SyncResponse } from './messages.js'
import { responseCount, responsePayloadBytes } from './packed-response.js'
import { reproposeBeforeCut } from './repropose.js'
import { catchUpFrom, pullNow, reactToDiskPressure, requestCatchUp } from './runtime-actions.js'
import type { InboundDropReason, RuntimeContext } from './runtime-context.js'
import { chunkBudgetBytes } from './sync-request-handler.js'
import { type ApplyError, type ApplyResult, applySyncResponse } from './sync-response-apply.js'

const DROP_REASON: Partial<Record<ApplyError['kind'], InboundDropReason>> = {
  'channel-mismatch': 'wrong-channel',
  malformed: 'malformed-response',
  'stale-chunk': 'stale-chunk',
  'invalid-entries': 'invalid-entries',
  'forged-entries': 'forged-entry',
  'append-rejected': 'append-rejected',
}

export async function onSyncResponse(
  ctx: RuntimeContext,
  from: PeerId,
  response: SyncResponse,
): Promise<void> {
  if (response.channelId !== ctx.channel) {
    ctx.drops.record('wrong-channel')
    return
  }
  // seed 001: take the token first, before any other gate, so an
  // answer arriving while we are briefly not a replica still retires its
  // token instead of squatting in the bounded set until the TTL.
  const request = ctx.outstanding.claim(from, response.requestId, ctx.clock.now())
  if (request === undefined) {
    ctx.drops.record('unknown-request')
    return
  }
  // Only the followed leader may write into our log, not any member.
  if (ctx.tracker.believedLeader !== from) {
    ctx.drops.record('not-believed-leader')
    return
  }
  if (ctx.coordinator.role !== 'replica') {
    ctx.drops.record('wrong-role')
    return
  }
  const tail = ctx.store.state(ctx.channel).nextSeq
  const misplaced =
    (request.readAheadFrom !== undefined && request.readAheadFrom !== tail) ||
    (request.chained === true && response.firstSeq !== tail)
  if (misplaced) {
    // Read ahead of a chunk that did not land as expected (refused, cut,
    // replaced): this one no longer joins our log, so never skip to it.
    // The read-aheads chained after it cannot land either: forget them
    // (their answers drop as unknown) and pull again from our tail now.
    ctx.drops.record('stale-chunk')
    ctx.metrics.add('readAheadDiscardedTotal')
    ctx.outstanding.clearReadAheads(from)
    await pullNow(ctx, from, { evenIfCaughtUp: true })
    return
  }
  if (response.firstSeq === tail) await readAhead(ctx, from, response)
  const appliedAt = ctx.clock.now()
  const result = await apply(ctx, response)
  ctx.metrics.add('applyMsTotal', ctx.clock.now() - appliedAt)
  await react(ctx, from, response, result, { heldTail: request.heldTail, maySkip: true })
}

/** Requests a catching-up replica keeps in flight to its leader (beyond the seed). */
export const READ_AHEAD_DEPTH = 3

/**
 * Beyond the seed: a chunk that joins our tail and leaves the leader with
 * more is followed at once by requests for the next ones, sent before this
 * one is verified and stored, so the leader reads and ships the next
 * chunks while we apply this one and the link never waits for a request.
 * Up to READ_AHEAD_DEPTH requests are in flight. The first starts at this
 * chunk's end; the others are chained (`afterRequestId`): each starts
 * where the leader's answer to the one before it ends, which only the
 * leader knows (served-chunks.ts), and carries our estimate as `sinceSeq`.
 * An answer is taken only if it starts at our tail when it arrives.
 *
 * A chunk that reaches the leader's tail is followed by one request too,
 * from its end: the leader parks it (parked-requests.ts) and answers it with
 * its next append. So a caught-up replica always has a request waiting at
 * the leader, and a new entry leaves the leader with its commit instead of
 * waiting for our apply and the pull after it.
 */
async function readAhead(ctx: RuntimeContext, from: PeerId, response: SyncResponse): Promise<void> {
  const count = responseCount(response)
  if (count === 0) return
  const end = response.firstSeq + count
  const leaderTail = ctx.tracker.peerState(from)?.tailSeq ?? 0
  const bytes = responsePayloadBytes(response)
  // A chunk cut by its size says the leader holds more; the leader's tail
  // from its heartbeats may say so too (it may also lag behind).
  const fullBySize = count >= SYNC_CHUNK_MAX_ENTRIES || bytes * 2 >= chunkBudgetBytes(ctx.chunkMax)
  const inFlight = ctx.outstanding.inFlight(from, ctx.clock.now(), ctx.heartbeatMs)
  let after = inFlight[inFlight.length - 1]
  let since = end + inFlight.length * count
  for (let depth = inFlight.length; depth < READ_AHEAD_DEPTH; depth++) {
    const caughtUp = !fullBySize && leaderTail <= since
    if (caughtUp && depth > 0) return
    const sent = await requestCatchUp(
      ctx,
      from,
      {
        ...catchUpFrom(ctx, since as Seq),
        ...(after === undefined ? {} : { afterRequestId: after }),
      },
      { readAhead: after === undefined ? { from: since } : 'chained', mayPark: caughtUp },
    )
    if (!sent) return
    ctx.metrics.add(caughtUp ? 'parkAheadRequestsTotal' : 'readAheadRequestsTotal')
    if (caughtUp) return
    after = ctx.outstanding.inFlight(from, ctx.clock.now(), ctx.heartbeatMs).pop()
    since += count
  }
}

function apply(ctx: RuntimeContext, response: SyncResponse): Promise<ApplyResult> {
  return applySyncResponse(ctx.store, ctx.hasher, ctx.channel, response, {
    beforeCut: (fromSeq, toSeq) => reproposeBeforeCut(ctx, fromSeq, toSeq),
    signatures: ctx.signatures,
  })
}

async function react(
  ctx: RuntimeContext,
  from: PeerId,
  response: SyncResponse,
  result: ApplyResult,
  { heldTail, maySkip }: { readonly heldTail: number | undefined; readonly maySkip: boolean },
): Promise<void> {
  if (result.ok) {
    if (result.replacedEntries > 0) {
      const cutFrom = result.newTail - result.appliedEntries
      noteCut(ctx, from, cutFrom as Seq, (cutFrom + result.replacedEntries) as Seq, 'replaced')
    }
    if (result.appliedEntries > 0) ctx.chainCheck.confirm(from, result.newTail)
    // An empty chunk below our tail: the leader holds nothing from there.
    else if (response.firstSeq < result.newTail)
      await trimBeyondLeader(ctx, from, response.firstSeq, heldTail)
    await onApplied(ctx, from, result.newTail, result.appliedEntries, result.appliedBytes)
    return
  }
  const error = result.error
  if (error.kind === 'diverged') {
    await cutDivergentTail(ctx, from, error.atSeq)
  } else if (error.kind === 'stale-chunk') {
    await onHeldChunk(ctx, from, (response.firstSeq + responseCount(response)) as Seq, heldTail)
  } else if (error.kind === 'append-failed') {
    await reactToDiskPressure(ctx)
  } else if (error.kind === 'gap-before-chunk' && maySkip) {
    await skipAheadAndRetry(ctx, from, response, error)
  } else {
    if (error.kind === 'forged-entries') ctx.metrics.add('forgedEntriesTotal')
    if (error.kind === 'invalid-entries' && error.cause instanceof HashMismatchError)
      ctx.metrics.add('hashMismatchesTotal')
    ctx.drops.record(DROP_REASON[error.kind] ?? 'malformed-response')
  }
}

async function onApplied(
  ctx: RuntimeContext,
  from: PeerId,
  newTail: Seq,
  appliedEntries: number,
  appliedBytes: number,
): Promise<void> {
  const { metrics } = ctx
  ctx.coordinator.recordTailSeq(newTail)
  metrics.add('syncResponsesAppliedTotal')
  metrics.add('appliedEntriesTotal', appliedEntries)
  metrics.add('appliedBytesTotal', appliedBytes)
  if (appliedEntries > 0) {
    ctx.backoff.recordProgress(from)
    ctx.events.emit('catch-up-progress', { from, tailSeq: newTail, appliedEntries })
    // Beyond the seed: keep pulling while chunks come back non-empty. The
    // tail a leader's periodic heartbeat claims is the highest one a replica
    // confirmed (seed 001), never its own, so after a burst of appends it
    // says "caught up" while the leader holds more; a replica that trusted
    // it would take one chunk per heartbeat. The leader answers an empty
    // chunk at its end, which costs one round trip per burst (and no strike:
    // its heartbeat claims no tail ahead of ours then).
    await pullNow(ctx, from, { evenIfCaughtUp: true })
    return
  }
  // seed 001: an empty answer counts against the leader only when
  // its heartbeat is fresh (within the miss window) and claims a tail
  // ahead of ours; a stale heartbeat's tail is no evidence the leader has
  // anything to send.
  const now = ctx.clock.now()
  const peer = ctx.tracker.peerState(from)
  const lag = ctx.tracker.peerLag(from, now)
  if (
    peer !== undefined &&
    lag !== undefined &&
    lag < ctx.tracker.silenceWindowMs &&
    peer.tailSeq > newTail
  ) {
    ctx.backoff.recordEmpty(from, now)
    metrics.add('emptyResponseStrikesTotal')
  }
}

/**
 * We already hold every entry of the chunk, identical: our log is the
 * leader's up to its end (a probe's answer). If the leader's log ends
 * there and ours goes on, the rest is not the leader's; but a chunk ends
 * where the leader's log ended when it read, or where its size caps cut
 * it, and this one cannot say which. So when it ends below the tail we
 * held when we asked, ask the leader from its end: an empty answer there
 * is the evidence a trim needs (trimBeyondLeader), a chunk goes on
 * comparing. An answer ending at or above that tail is an old one,
 * overtaken by the chunks since: no evidence against anything we hold.
 */
async function onHeldChunk(
  ctx: RuntimeContext,
  from: PeerId,
  end: Seq,
  heldTail: number | undefined,
): Promise<void> {
  const tail = ctx.store.state(ctx.channel).nextSeq
  ctx.chainCheck.confirm(from, Math.min(end, tail))
  if (end >= tail) {
    // Beyond the seed: the answer to a duplicate request (a tick's, sent
    // while another was in flight) or to a probe. A duplicate held back the
    // pull after the last chunk: if the leader is ahead, pull now, or
    // catch-up would wait for the next tick.
    await pullNow(ctx, from)
    return
  }
  if (heldTail === undefined || end >= heldTail) {
    ctx.drops.record('stale-chunk')
    return
  }
  const sent = await requestCatchUp(ctx, from, catchUpFrom(ctx, end))
  if (sent) ctx.metrics.add('chainProbesTotal')
}

/**
 * The chunk starts past our tail: the leader no longer holds what we miss.
 * Skip the local log forward to the chunk and apply it again; a jump that
 * does not start at the leader's retention floor is reported as suspected
 * divergence rather than a routine trim.
 */
async function skipAheadAndRetry(
  ctx: RuntimeContext,
  from: PeerId,
  response: SyncResponse,
  gap: Extract<ApplyError, { kind: 'gap-before-chunk' }>,
): Promise<void> {
  ctx.metrics.add('skipAheadTotal')
  try {
    // The jump drops every entry we hold; if the logs may have parted, some
    // of them may be writes the leader lacks.
    const held = ctx.store.state(ctx.channel)
    if (gap.divergenceSuspected) await reproposeBeforeCut(ctx, held.firstSeq, held.nextSeq)
    await ctx.store.skipTo(ctx.channel, gap.firstSeq)
  } catch {
    // Left to the heartbeat cycle: the next request re-asks from our tail.
    ctx.drops.record('skip-rejected')
    return
  }
  const jump = { from, fromSeq: gap.localNext, toSeq: gap.firstSeq }
  ctx.events.emit('skip-ahead', { ...jump, cause: 'gap-before-chunk' })
  if (gap.divergenceSuspected) {
    ctx.metrics.add('divergenceSuspectedTotal')
    ctx.events.emit('divergence-suspected', jump)
  }
  const retry = await apply(ctx, response)
  // Our log was replaced by the jump: nothing held before it is evidence now.
  await react(ctx, from, response, retry, { heldTail: undefined, maySkip: false })
}
