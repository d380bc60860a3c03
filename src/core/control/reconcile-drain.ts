/**
 * Drain: a peer that is leaving hands every leadership it holds to a live
 * replica before it goes, so the mesh fails over without waiting out a
 * heartbeat timeout. Drain-start first (stop standing for election), then
 * one hand-off per led channel (retried, rotating successors), then
 * drain-finish once nothing is led — or at the deadline, whatever is left.
 */
import type { ChannelId } from '../log/ids.js'
import type { ControlAction } from './control-actions.js'
import type { ControlConfig } from './control-config.js'
import type { ControlState } from './control-state.js'
import { leadingChannels, pickSuccessor } from './peer-ranking.js'

export interface ReconcileContext {
  readonly state: ControlState
  readonly config: ControlConfig
  readonly now: number
  /** Channels already given a hand-off this pass; one rule per channel per tick. */
  readonly handedOff: Set<ChannelId>
  readonly out: ControlAction[]
}

/**
 * Emits a hand-off for `channel` unless one is still fresh. Returns false when
 * no successor exists at all.
 */
export function handOffIfDue(
  ctx: ReconcileContext,
  channel: ChannelId,
  reason: 'drain' | 'leaving-replica-set',
): boolean {
  if (ctx.handedOff.has(channel)) return true
  const previous = ctx.state.handoffs.get(channel)
  if (previous !== undefined && ctx.now - previous.requestedAt < ctx.config.handoffRetryMs) {
    ctx.handedOff.add(channel)
    return true
  }
  const to = pickSuccessor(ctx.state, channel, previous?.attempts ?? 0)
  if (to === undefined) return false
  ctx.handedOff.add(channel)
  ctx.out.push({ kind: 'hand-off-leadership', channel, to, reason })
  return true
}

export function reconcileDrain(ctx: ReconcileContext): void {
  const maintenance = ctx.state.maintenance
  if (maintenance.phase === 'resuming') {
    ctx.out.push({ kind: 'drain-exit' })
    return
  }
  if (maintenance.phase !== 'draining') return
  const leading = leadingChannels(ctx.state)
  if (!maintenance.announced) {
    ctx.out.push({
      kind: 'drain-start',
      reason: maintenance.reason,
      deadline: maintenance.deadline,
      leading,
    })
  }
  if (leading.length === 0) {
    ctx.out.push({ kind: 'drain-finish', outcome: 'drained', stillLeading: [] })
    return
  }
  if (ctx.now >= maintenance.deadline) {
    ctx.out.push({ kind: 'drain-finish', outcome: 'deadline-exceeded', stillLeading: leading })
    return
  }
  for (const channel of leading) handOffIfDue(ctx, channel, 'drain')
}
