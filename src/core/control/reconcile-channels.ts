/**
 * Channel runtimes: start what this peer should run, stop what it should
 * not, and push replica-set changes to running runtimes. A leader that must
 * stop hands off first (bounded by handoffTimeoutMs). Unconfirmed starts and
 * stops are re-emitted after actionRetryMs.
 */
import type { ChannelId } from '../log/ids.js'
import type { StopReason } from './control-actions.js'
import {
  type ControlState,
  type DesiredChannel,
  sortedKeys,
  wantsRuntime,
} from './control-state.js'
import { isLeaving } from './maintenance.js'
import { handOffIfDue, type ReconcileContext } from './reconcile-drain.js'

function stopReason(state: ControlState, desired: DesiredChannel | undefined): StopReason {
  if (desired === undefined) return 'closed'
  if (desired.retired) return 'retired'
  return desired.replicaSet.includes(state.thisPeer) ? 'closed' : 'not-in-replica-set'
}

function reconcileWanted(ctx: ReconcileContext, channel: ChannelId, desired: DesiredChannel): void {
  const { state, config, now, out } = ctx
  const runtime = state.runtimes.get(channel)
  const start = {
    kind: 'start-runtime',
    channel,
    replicaSet: desired.replicaSet,
    replicaSetVersion: desired.replicaSetVersion,
  } as const
  if (runtime === undefined) {
    if (!isLeaving(state)) out.push(start)
    return
  }
  if (runtime.status !== 'running') {
    // Starting and not confirmed, or wanted again while a stop is unconfirmed.
    if (now - runtime.requestedAt >= config.actionRetryMs) out.push(start)
    return
  }
  if (runtime.replicaSetVersion !== desired.replicaSetVersion) {
    out.push({
      kind: 'apply-replica-set',
      channel,
      replicaSet: desired.replicaSet,
      replicaSetVersion: desired.replicaSetVersion,
    })
  }
}

function reconcileUnwanted(ctx: ReconcileContext, channel: ChannelId): void {
  const { state, config, now, out } = ctx
  const runtime = state.runtimes.get(channel)
  if (runtime === undefined) return
  const stop = {
    kind: 'stop-runtime',
    channel,
    reason: stopReason(state, state.channels.get(channel)),
  } as const
  if (runtime.status === 'stopping') {
    if (now - runtime.requestedAt >= config.actionRetryMs) out.push(stop)
    return
  }
  if (runtime.role === 'leader') {
    const handoff = state.handoffs.get(channel)
    const timedOut =
      handoff !== undefined && now - handoff.firstRequestedAt >= config.handoffTimeoutMs
    if (!timedOut && handOffIfDue(ctx, channel, 'leaving-replica-set')) return
  }
  out.push(stop)
}

export function reconcileChannels(ctx: ReconcileContext): void {
  const { state } = ctx
  const channels = new Set([...sortedKeys(state.channels), ...sortedKeys(state.runtimes)])
  for (const channel of [...channels].sort()) {
    const desired = state.channels.get(channel)
    if (desired !== undefined && wantsRuntime(state, desired))
      reconcileWanted(ctx, channel, desired)
    else reconcileUnwanted(ctx, channel)
  }
}
