/**
 * What the runtime does on each heartbeat tick: advertise a safe tail, run
 * the pure `tick`, record lag, ship its frames, apply its role change, and
 * run the election while Candidate, all in the same tick.
 */
import type { Seq } from '../log/ids.js'
import { CATCHUP_BACKOFF_CAP_MS } from './catchup-backoff.js'
import { elect, electionTransition } from './election.js'
import { observeLag } from './lag-observation.js'
import { expireHandoffs } from './leader-handoff.js'
import { clearLeaderBelief, requestCatchUp, sendHeartbeat, transition } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'
import { tick } from './tick.js'

/**
 * seed 001: a leader advertises (for failover discovery) the highest tail
 * a peer has confirmed, never its raw local tail: entries not yet
 * replicated could die with it, and failover would favour a holder whose
 * tip may not survive. With no peer report yet a sole leader has nothing
 * safer than its own tail.
 */
export function confirmedTail(ctx: RuntimeContext, localTail: Seq): Seq {
  let best: Seq | undefined
  for (const [peer, tail] of ctx.tracker.peerTailSeqs()) {
    if (peer !== ctx.self && (best === undefined || tail > best)) best = tail
  }
  return best === undefined ? localTail : (Math.min(localTail, best) as Seq)
}

export async function onTick(ctx: RuntimeContext): Promise<void> {
  const { coordinator, tracker, metrics } = ctx
  const now = ctx.clock.now()
  // A demoted leader's backoff entry is never cleared by progress again.
  ctx.backoff.gcExpired(now, 2 * CATCHUP_BACKOFF_CAP_MS)
  await expireHandoffs(ctx)
  const local = ctx.store.state(ctx.channel)
  const tailSeq = local.nextSeq
  const role = coordinator.role
  coordinator.recordTailSeq(role === 'leader' ? confirmedTail(ctx, tailSeq) : tailSeq)
  const probeSinceSeq = role === 'replica' ? probeFrom(ctx, local) : undefined

  const outcome = tick({
    self: ctx.self,
    role,
    channelId: ctx.channel,
    tailSeq,
    replicaSet: ctx.replicaSet,
    tracker,
    wallClockMs: ctx.clock.wallNow(),
    chunkMax: ctx.chunkMax,
    bandwidthClass: ctx.bandwidthClass,
    now,
    ...(probeSinceSeq === undefined ? {} : { probeSinceSeq }),
  })
  const lag = observeLag(role, ctx.replicaSet, ctx.self, tracker, now)
  if (lag.kind === 'leader') metrics.recordLeaderLag(lag.lagMs)
  if (lag.kind === 'replica') metrics.recordReplicaLag(lag.lagMs)

  for (const out of outcome.outbound) {
    if (out.kind === 'heartbeat') await sendHeartbeat(ctx, out.target, out.message)
    else if (out.message.sinceSeq < tailSeq) {
      if (await requestCatchUp(ctx, out.target, out.message)) metrics.add('chainProbesTotal')
    } else if (ctx.outstanding.hasInFlight(out.target, now, ctx.heartbeatMs)) {
      // Beyond the seed: a pull (or a read-ahead) answered by now would
      // make this one a duplicate, a whole chunk read, shipped and
      // compared for nothing. One older than a heartbeat is retried.
      metrics.add('tickPullsCoalescedTotal')
    } else await requestCatchUp(ctx, out.target, out.message)
  }
  if (outcome.transition !== undefined) {
    const moved = await transition(ctx, outcome.transition.target, outcome.transition.signal)
    if (moved === 'rejected') return
  }
  // seed 001: elect in the tick that entered Candidate, so the role stays
  // transient. Beyond the seed, a peer still Candidate (nobody was
  // eligible last time, or it was put there from outside) retries each tick.
  if (coordinator.role === 'candidate') await runElection(ctx)
}

/** The probe a replica not behind its leader still owes (see ChainCheck). */
function probeFrom(
  ctx: RuntimeContext,
  local: { readonly firstSeq: Seq; readonly nextSeq: Seq },
): Seq | undefined {
  const leader = ctx.tracker.believedLeader
  const leaderTail = leader === undefined ? undefined : ctx.tracker.peerState(leader)?.tailSeq
  if (leader === undefined || leader === ctx.self || leaderTail === undefined) return undefined
  if (leaderTail > local.nextSeq) return undefined
  return ctx.chainCheck.probeSince(leader, local, leaderTail)
}

async function runElection(ctx: RuntimeContext): Promise<void> {
  const now = ctx.clock.now()
  ctx.metrics.add('electionsRunTotal')
  // The tracker hears only peers; this peer is alive by tautology, and
  // stands unless it is draining.
  const healthy = new Set(ctx.tracker.healthyPeers(now))
  const outcome = elect(ctx.replicaSet, ctx.self, ctx.rttLookup, (peer) =>
    peer === ctx.self ? ctx.handoff.standing : healthy.has(peer),
  )
  const pending = electionTransition(outcome)
  if (pending === undefined) return
  await transition(ctx, pending.target, pending.signal)
  // seed 001: whether the move landed, landed unannounced, or lost a race,
  // the leader believed before the election is stale; rediscover from scratch.
  clearLeaderBelief(ctx)
}
