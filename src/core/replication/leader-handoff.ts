/**
 * Leadership hand-off (issue 9, drain): a leader that is leaving names a
 * successor to every member and stops appending, so its tail is final; the
 * successor takes over once its log ends at exactly that tail (pulling what
 * it lacks from the leader first) and announces itself at once; the old
 * leader concedes the moment it hears the successor lead, and the other
 * replicas, told whom to expect, follow it on that same announcement. So
 * failover waits on no heartbeat timeout and no second round.
 *
 * Every step has a deadline (`HANDOFF_WINDOW_HEARTBEATS`): an unanswered
 * hand-off lapses and the leader resumes (the control loop then retries with
 * another successor), a successor that cannot catch up in time drops it.
 * A peer that is not standing (draining) never accepts one.
 */
import { equals } from 'uint8arrays/equals'
import type { PeerId, Seq } from '../log/ids.js'
import type { LeaderHandoff } from './handoff-message.js'
import type { SyncHeartbeat } from './messages.js'
import { pullNow, sendHeartbeat, transition } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'

/** How long each side of a hand-off waits for the other, in heartbeats. */
export const HANDOFF_WINDOW_HEARTBEATS = 2

export interface HandoffState {
  /** False while this peer drains: it neither wins elections nor accepts hand-offs. */
  standing: boolean
  /** This leader named `to` and appends nothing until `expiresAt`. */
  outgoing: { readonly to: PeerId; readonly tailSeq: Seq; readonly expiresAt: number } | undefined
  /** `from` named this peer; it takes over once its log ends at `tailSeq`/`lastHash`. */
  incoming:
    | {
        readonly from: PeerId
        readonly tailSeq: Seq
        readonly lastHash: Uint8Array
        readonly expiresAt: number
      }
    | undefined
  /** Another member was named: follow it, instead of `from`, once it announces. */
  expected: { readonly from: PeerId; readonly to: PeerId; readonly expiresAt: number } | undefined
  /** We follow `peer`'s successor now: `peer`'s last leader claims before it concedes are stale. */
  superseded: { readonly peer: PeerId; readonly expiresAt: number } | undefined
  /** This peer leads by `from`'s hand-off: `from` claiming leadership meanwhile is not a rival. */
  acceptedFrom: { readonly from: PeerId; readonly expiresAt: number } | undefined
}

export function createHandoffState(): HandoffState {
  return {
    standing: true,
    outgoing: undefined,
    incoming: undefined,
    expected: undefined,
    superseded: undefined,
    acceptedFrom: undefined,
  }
}

export type HandoffStart =
  | { readonly status: 'sent'; readonly to: PeerId; readonly tailSeq: Seq }
  | { readonly status: 'refused'; readonly reason: 'not-leader' | 'not-a-replica' | 'send-failed' }

function windowMs(ctx: RuntimeContext): number {
  return HANDOFF_WINDOW_HEARTBEATS * ctx.heartbeatMs
}

/** Leader side: stop appending and name `to` as successor. */
export async function startHandoff(ctx: RuntimeContext, to: PeerId): Promise<HandoffStart> {
  if (ctx.coordinator.role !== 'leader') return { status: 'refused', reason: 'not-leader' }
  if (to === ctx.self || !ctx.members.has(to)) {
    return { status: 'refused', reason: 'not-a-replica' }
  }
  const { nextSeq: tailSeq, lastHash } = ctx.store.state(ctx.channel)
  ctx.handoff.outgoing = { to, tailSeq, expiresAt: ctx.clock.now() + windowMs(ctx) }
  const message: LeaderHandoff = { channelId: ctx.channel, successor: to, tailSeq, lastHash }
  try {
    await ctx.dispatcher.sendLeaderHandoff(to, message)
    // The others only need to know whom to follow next; a lost notice costs them one beat.
    for (const peer of ctx.replicaSet) {
      if (peer !== to && peer !== ctx.self) {
        await ctx.dispatcher.sendLeaderHandoff(peer, message).catch(() => {
          ctx.metrics.recordSendFailure('leader-handoff')
        })
      }
    }
  } catch {
    ctx.metrics.recordSendFailure('leader-handoff')
    ctx.handoff.outgoing = undefined
    return { status: 'refused', reason: 'send-failed' }
  }
  ctx.metrics.add('handoffsSentTotal')
  return { status: 'sent', to, tailSeq }
}

/** Successor side: a hand-off frame from a member of the replica set. */
export async function onLeaderHandoff(
  ctx: RuntimeContext,
  from: PeerId,
  message: LeaderHandoff,
): Promise<void> {
  if (message.channelId !== ctx.channel) {
    ctx.drops.record('wrong-channel')
    return
  }
  if (message.successor !== ctx.self) {
    // A notice: if we follow `from`, follow the successor as soon as it leads.
    if (ctx.members.has(message.successor) && ctx.tracker.believedLeader === from) {
      ctx.handoff.expected = {
        from,
        to: message.successor,
        expiresAt: ctx.clock.now() + windowMs(ctx),
      }
    }
    return
  }
  const role = ctx.coordinator.role
  const local = ctx.store.state(ctx.channel)
  if (
    !ctx.handoff.standing ||
    (role !== 'replica' && role !== 'candidate') ||
    // Only from the leader we follow (or, leaderless, from any member).
    (ctx.tracker.believedLeader !== undefined && ctx.tracker.believedLeader !== from) ||
    // Our log must be a prefix of the leader's: never ahead of its final tail.
    local.nextSeq > message.tailSeq
  ) {
    refuse(ctx)
    return
  }
  // The named tail is final and may be past what its heartbeats advertise
  // (a leader advertises only confirmed tails): pull up to it.
  ctx.tracker.recordHeartbeat(from, 'leader', message.tailSeq, ctx.clock.now())
  ctx.handoff.incoming = {
    from,
    tailSeq: message.tailSeq,
    lastHash: message.lastHash,
    expiresAt: ctx.clock.now() + windowMs(ctx),
  }
  await advanceIncomingHandoff(ctx)
}

/**
 * The successor, on the hand-off and after every chunk: take over if the
 * named tail is reached, else pull toward it now. Pulling again after a
 * chunk matters when the pull was folded into a request sent before the
 * leader's last append (`pullNow` skips while one is in flight): that
 * request's answer stops short of the named tail, an empty one ends the
 * catch-up chain, and the next tick's pull would cost up to a heartbeat.
 */
export async function advanceIncomingHandoff(ctx: RuntimeContext): Promise<void> {
  const incoming = ctx.handoff.incoming
  if (incoming === undefined || (await completeIncomingHandoff(ctx))) return
  if (ctx.handoff.incoming !== undefined) await pullNow(ctx, incoming.from)
}

/** Takes over if the pending hand-off's tail is reached; true when it did. */
export async function completeIncomingHandoff(ctx: RuntimeContext): Promise<boolean> {
  const incoming = ctx.handoff.incoming
  if (incoming === undefined) return false
  const now = ctx.clock.now()
  const role = ctx.coordinator.role
  if (now >= incoming.expiresAt || (role !== 'replica' && role !== 'candidate')) {
    ctx.handoff.incoming = undefined
    refuse(ctx)
    return false
  }
  const local = ctx.store.state(ctx.channel)
  if (local.nextSeq < incoming.tailSeq) return false
  ctx.handoff.incoming = undefined
  if (local.nextSeq !== incoming.tailSeq || !equals(local.lastHash, incoming.lastHash)) {
    refuse(ctx)
    return false
  }
  if ((await transition(ctx, 'leader', 'handoff-accepted')) === 'rejected') return false
  ctx.metrics.add('handoffsAcceptedTotal')
  ctx.handoff.acceptedFrom = { from: incoming.from, expiresAt: now + windowMs(ctx) }
  await announceRole(ctx)
  return true
}

/**
 * Heartbeat from `from` claiming leadership, as seen by either side of a
 * hand-off. Returns true when it settled the claim (the caller skips the
 * dual-leader tiebreak): the old leader concedes to its successor, and the
 * successor ignores its predecessor's last claims.
 */
export async function settleHandoffClaim(
  ctx: RuntimeContext,
  from: PeerId,
  message: SyncHeartbeat,
): Promise<boolean> {
  if (message.role !== 'leader' || ctx.coordinator.role !== 'leader') return false
  const { outgoing, acceptedFrom } = ctx.handoff
  if (outgoing?.to === from) {
    ctx.handoff.outgoing = undefined
    await transition(ctx, 'replica', 'peer-leader-observed')
    ctx.tracker.follow(from, ctx.clock.now())
    await announceRole(ctx)
    return true
  }
  return acceptedFrom?.from === from && ctx.clock.now() < acceptedFrom.expiresAt
}

/**
 * A replica hears a leader claim: the successor it was told to expect takes
 * over from the leader it follows, at once. Call after the heartbeat is
 * recorded.
 */
export function followExpectedSuccessor(
  ctx: RuntimeContext,
  from: PeerId,
  message: SyncHeartbeat,
): void {
  const expected = ctx.handoff.expected
  if (expected === undefined || message.role !== 'leader' || expected.to !== from) return
  ctx.handoff.expected = undefined
  if (ctx.clock.now() >= expected.expiresAt) return
  if (ctx.tracker.believedLeader === expected.from) ctx.tracker.follow(from, ctx.clock.now())
  ctx.handoff.superseded = { peer: expected.from, expiresAt: expected.expiresAt }
}

/** The role to record for a heartbeat: a superseded leader's claim counts as stepping down. */
export function claimedRole(ctx: RuntimeContext, from: PeerId, message: SyncHeartbeat) {
  const superseded = ctx.handoff.superseded
  if (
    message.role === 'leader' &&
    superseded?.peer === from &&
    ctx.clock.now() < superseded.expiresAt
  ) {
    return 'replica'
  }
  return message.role
}

/** Each tick: lapse what waited too long. */
export async function expireHandoffs(ctx: RuntimeContext): Promise<void> {
  const now = ctx.clock.now()
  const { outgoing, acceptedFrom } = ctx.handoff
  if (outgoing !== undefined && now >= outgoing.expiresAt) {
    ctx.handoff.outgoing = undefined
    ctx.metrics.add('handoffsLapsedTotal')
  }
  if (acceptedFrom !== undefined && now >= acceptedFrom.expiresAt) {
    ctx.handoff.acceptedFrom = undefined
  }
  if (ctx.handoff.expected !== undefined && now >= ctx.handoff.expected.expiresAt) {
    ctx.handoff.expected = undefined
  }
  if (ctx.handoff.superseded !== undefined && now >= ctx.handoff.superseded.expiresAt) {
    ctx.handoff.superseded = undefined
  }
  await completeIncomingHandoff(ctx)
}

function refuse(ctx: RuntimeContext): void {
  ctx.metrics.add('handoffsRefusedTotal')
}

/** A heartbeat to every other member now, so they learn the new roles without waiting a beat. */
async function announceRole(ctx: RuntimeContext): Promise<void> {
  const message: SyncHeartbeat = {
    channelId: ctx.channel,
    tailSeq: ctx.store.state(ctx.channel).nextSeq,
    role: ctx.coordinator.role,
    wallClockMs: ctx.clock.wallNow(),
  }
  for (const peer of ctx.replicaSet) {
    if (peer !== ctx.self) await sendHeartbeat(ctx, peer, message)
  }
}
