/**
 * The freeze: while in effect, every non-emergency admin command is
 * rejected (and audited as rejected). Time is the last tick, never a fresh
 * clock read, so a replay of the same events judges the same way.
 */
import type { ControlState } from './control-state.js'

export function isFrozen(state: ControlState, now: number): boolean {
  const freeze = state.freeze
  if (freeze === undefined) return false
  return freeze.until === undefined || now < freeze.until
}

export function freeze(state: ControlState, now: number, durationMs: number | undefined): void {
  state.freeze = { until: durationMs === undefined ? undefined : now + durationMs }
}

export function unfreeze(state: ControlState): void {
  state.freeze = undefined
}

// seed 002: an expired freeze is cleared on the tick, which a burst of events cannot starve
export function expireFreeze(state: ControlState, now: number): void {
  if (state.freeze !== undefined && !isFrozen(state, now)) state.freeze = undefined
}
