/**
 * This peer's drain: Active → Draining → Drained | DrainFailed, and back to
 * Active through Resuming when cancelled after it was announced. Entering and
 * leaving are folds; the transitions that emit actions (drain-start,
 * drain-finish, drain-exit) happen in reconcile, and only advance once their
 * action is queued.
 */
import type { DrainReason } from './control-actions.js'
import type { ControlState } from './control-state.js'

export function enterDrain(
  state: ControlState,
  reason: DrainReason,
  now: number,
  deadlineMs: number,
): void {
  const current = state.maintenance
  // A second request never extends a drain in progress: the earliest deadline holds.
  if (current.phase === 'draining') {
    const deadline = Math.min(current.deadline, now + deadlineMs)
    state.maintenance = { ...current, deadline }
    return
  }
  if (current.phase === 'drained' || current.phase === 'drain-failed') return
  state.maintenance = {
    phase: 'draining',
    reason,
    startedAt: now,
    deadline: now + deadlineMs,
    announced: false,
  }
}

export function cancelDrain(state: ControlState): void {
  const current = state.maintenance
  switch (current.phase) {
    case 'active':
    case 'resuming':
      return
    case 'draining':
      state.maintenance = current.announced
        ? { phase: 'resuming', reason: current.reason }
        : { phase: 'active' }
      return
    case 'drained':
    case 'drain-failed':
      state.maintenance = { phase: 'resuming', reason: current.reason }
      return
  }
}

/** Draining peers start nothing new: no runtimes, dials or sync sessions. */
export function isLeaving(state: ControlState): boolean {
  const phase = state.maintenance.phase
  return phase === 'draining' || phase === 'drained' || phase === 'drain-failed'
}
