/**
 * One reconcile pass: compare actual with desired state at `now` and return
 * the actions that close the gap, in a fixed order (drain, channels,
 * storage, dials, syncs; each sorted by id). Pure: it reads state and
 * returns actions. `recordQueuedAction` then advances the bookkeeping for
 * each action that made it into the queue — a dropped action leaves state
 * as it was, so the next tick derives it again.
 */
import type { ChannelId } from '../log/ids.js'
import type { ControlAction } from './control-actions.js'
import type { ControlConfig } from './control-config.js'
import type { ControlState } from './control-state.js'
import { reconcileChannels } from './reconcile-channels.js'
import { reconcileDrain } from './reconcile-drain.js'
import { reconcileDials, reconcileStorage, reconcileSyncs } from './reconcile-resources.js'

export function reconcile(
  state: ControlState,
  config: ControlConfig,
  now: number,
): ControlAction[] {
  const ctx = { state, config, now, handedOff: new Set<ChannelId>(), out: [] as ControlAction[] }
  reconcileDrain(ctx)
  reconcileChannels(ctx)
  reconcileStorage(ctx)
  reconcileDials(ctx)
  reconcileSyncs(ctx)
  return ctx.out
}

export function recordQueuedAction(
  state: ControlState,
  action: ControlAction,
  config: ControlConfig,
  now: number,
): void {
  switch (action.kind) {
    case 'start-runtime': {
      const previous = state.runtimes.get(action.channel)
      state.runtimes.set(action.channel, {
        status: 'starting',
        role: previous?.role ?? 'idle',
        leader: previous?.leader,
        replicaSetVersion: action.replicaSetVersion,
        requestedAt: now,
      })
      return
    }
    case 'stop-runtime': {
      const runtime = state.runtimes.get(action.channel)
      if (runtime !== undefined) {
        runtime.status = 'stopping'
        runtime.requestedAt = now
      }
      return
    }
    case 'apply-replica-set': {
      const runtime = state.runtimes.get(action.channel)
      if (runtime !== undefined) runtime.replicaSetVersion = action.replicaSetVersion
      return
    }
    case 'dial-peer': {
      const backoff = Math.min(
        config.dialBackoffMaxMs,
        config.dialBackoffBaseMs * 2 ** Math.min(30, action.attempt - 1),
      )
      state.dials.set(action.peer, { attempts: action.attempt, nextAt: now + backoff })
      return
    }
    case 'start-sync':
      state.lastSyncAt.set(action.channel, now)
      return
    case 'hand-off-leadership': {
      const previous = state.handoffs.get(action.channel)
      state.handoffs.set(action.channel, {
        to: action.to,
        attempts: (previous?.attempts ?? 0) + 1,
        firstRequestedAt: previous?.firstRequestedAt ?? now,
        requestedAt: now,
      })
      return
    }
    case 'withdraw':
      state.withdrawn.add(action.channel)
      return
    case 'rejoin':
      state.withdrawn.delete(action.channel)
      return
    case 'drain-start':
      if (state.maintenance.phase === 'draining') {
        state.maintenance = { ...state.maintenance, announced: true }
      }
      return
    case 'drain-finish': {
      const maintenance = state.maintenance
      if (maintenance.phase !== 'draining') return
      state.maintenance =
        action.outcome === 'drained'
          ? { phase: 'drained', reason: maintenance.reason, at: now }
          : {
              phase: 'drain-failed',
              reason: maintenance.reason,
              at: now,
              stillLeading: action.stillLeading,
            }
      return
    }
    case 'drain-exit':
      if (state.maintenance.phase === 'resuming') state.maintenance = { phase: 'active' }
      return
  }
}
