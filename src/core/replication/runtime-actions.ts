/**
 * The few effects tick and inbound handlers share: sending a frame (a
 * rejected send is counted, never thrown), issuing a catch-up request with
 * a fresh token, forgetting the followed leader, applying a role change,
 * and reacting to a full disk.
 */
import type { PeerId, Seq } from '../log/ids.js'
import { handleDiskPressure } from './disk-pressure.js'
import type { FrameKind } from './dispatcher.js'
import type {
  NackReason,
  ReplicaRole,
  SyncHeartbeat,
  SyncRequest,
  SyncResponse,
} from './messages.js'
import { SYNC_NACK_DETAIL_MAX_LENGTH } from './messages.js'
import type { ReadAhead } from './outstanding-requests.js'
import { AnnouncementFailedError } from './replication-errors.js'
import type { RuntimeContext } from './runtime-context.js'
import type { SyncRequestDraft } from './tick.js'
import type { TransitionSignal } from './transition-rules.js'

async function attempt(
  ctx: RuntimeContext,
  kind: FrameKind,
  send: () => Promise<void>,
): Promise<boolean> {
  try {
    await send()
    return true
  } catch {
    ctx.metrics.recordSendFailure(kind)
    return false
  }
}

export async function sendHeartbeat(
  ctx: RuntimeContext,
  target: PeerId,
  message: SyncHeartbeat,
): Promise<boolean> {
  const sent = await attempt(ctx, 'heartbeat', () => ctx.dispatcher.sendHeartbeat(target, message))
  if (sent) ctx.metrics.add('heartbeatsSentTotal')
  return sent
}

export async function sendSyncResponse(
  ctx: RuntimeContext,
  target: PeerId,
  message: SyncResponse,
): Promise<boolean> {
  const sent = await attempt(ctx, 'sync-response', () =>
    ctx.dispatcher.sendSyncResponse(target, message),
  )
  if (sent) ctx.metrics.add('syncResponsesSentTotal')
  return sent
}

export async function sendNack(
  ctx: RuntimeContext,
  target: PeerId,
  request: Pick<SyncRequest, 'sinceSeq' | 'requestId'>,
  reason: NackReason,
  leaderFirstRetainedSeq = 0 as Seq,
  detail = '',
): Promise<void> {
  const message = {
    channelId: ctx.channel,
    sinceSeq: request.sinceSeq,
    reason,
    leaderFirstRetainedSeq,
    requestId: request.requestId,
    detail: detail.slice(0, SYNC_NACK_DETAIL_MAX_LENGTH),
  }
  if (await attempt(ctx, 'sync-nack', () => ctx.dispatcher.sendSyncNack(target, message))) {
    ctx.metrics.recordNackSent(reason)
  }
}

/** A catch-up request of this runtime's channel, chunk size and class, from `sinceSeq`. */
export function catchUpFrom(ctx: RuntimeContext, sinceSeq: Seq): SyncRequestDraft {
  return {
    channelId: ctx.channel,
    sinceSeq,
    chunkMax: ctx.chunkMax,
    bandwidthClass: ctx.bandwidthClass,
  }
}

/**
 * Mints a random 64-bit token, records it and sends the request; skipped
 * while `leader` is in catch-up backoff (seed 001, R-23 and R-28).
 */
export async function requestCatchUp(
  ctx: RuntimeContext,
  leader: PeerId,
  draft: SyncRequestDraft,
  options: { readonly readAhead?: ReadAhead; readonly mayPark?: boolean } = {},
): Promise<boolean> {
  const now = ctx.clock.now()
  if (ctx.backoff.isInBackoff(leader, now)) {
    ctx.metrics.add('catchupBackoffSkipsTotal')
    return false
  }
  const requestId = ctx.rng.nextU64()
  ctx.outstanding.record(leader, requestId, now, {
    ...(options.readAhead === undefined ? {} : { readAhead: options.readAhead }),
    heldTail: ctx.store.state(ctx.channel).nextSeq,
    // A parked request is answered with the leader's next append, or empty
    // by its first tick after the hold (peers that park at all share the hold).
    ...(options.mayPark === true && ctx.parkHoldMs > 0
      ? { parkMs: ctx.parkHoldMs + ctx.heartbeatMs }
      : {}),
  })
  const message: SyncRequest = { ...draft, requestId }
  const sent = await attempt(ctx, 'sync-request', () =>
    ctx.dispatcher.sendSyncRequest(leader, message),
  )
  if (sent) ctx.metrics.add('syncRequestsSentTotal')
  return sent
}

/**
 * Beyond the seed: pull from the believed leader now instead of at the
 * next tick, when it is known to be ahead and no request to it is younger
 * than a heartbeat (so notices and chunks arriving together coalesce).
 */
export async function pullNow(
  ctx: RuntimeContext,
  leader: PeerId,
  options: { readonly evenIfCaughtUp?: boolean } = {},
): Promise<void> {
  if (ctx.coordinator.role !== 'replica' || ctx.tracker.believedLeader !== leader) return
  if (leader === ctx.self) return
  const leaderTail = ctx.tracker.peerState(leader)?.tailSeq
  const tail = ctx.store.state(ctx.channel).nextSeq
  if (leaderTail === undefined) return
  if (leaderTail <= tail && options.evenIfCaughtUp !== true) return
  if (ctx.outstanding.hasInFlight(leader, ctx.clock.now(), ctx.heartbeatMs)) return
  await requestCatchUp(ctx, leader, catchUpFrom(ctx, tail))
}

/**
 * seed 001: forget the followed leader together with the tokens issued to
 * it, so a re-elected peer does not inherit them and they do not crowd the
 * bounded token set until their TTL.
 */
export function clearLeaderBelief(ctx: RuntimeContext): void {
  const prior = ctx.tracker.believedLeader
  ctx.tracker.clearBelievedLeader(ctx.clock.now())
  if (prior !== undefined) ctx.outstanding.clearLeader(prior)
  ctx.chainCheck.forget()
}

export type TransitionResult = 'moved' | 'moved-unannounced' | 'rejected'

/** Applies a role change; a halted runtime changes nothing. */
export async function transition(
  ctx: RuntimeContext,
  target: ReplicaRole,
  signal: TransitionSignal,
): Promise<TransitionResult> {
  if (ctx.isHalted()) return 'rejected'
  try {
    await ctx.coordinator.transitionTo(target, signal)
    return 'moved'
  } catch (error) {
    return error instanceof AnnouncementFailedError ? 'moved-unannounced' : 'rejected'
  }
}

export async function reactToDiskPressure(ctx: RuntimeContext): Promise<void> {
  const outcome = await handleDiskPressure(
    ctx.coordinator,
    ctx.store,
    ctx.channel,
    ctx.diskPressurePolicy,
  )
  ctx.events.emit('disk-pressure', { policy: ctx.diskPressurePolicy, action: outcome.action })
}
