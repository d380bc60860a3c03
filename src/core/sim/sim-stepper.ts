/**
 * How simulated time moves: one step is one simulated instant. The stepper
 * fires every timer due at the next instant that has one (including timers
 * those timers set for the same instant), then lets every promise chain they
 * started settle, so the world is quiescent (no handler half-way through an
 * await) when the step's checks run.
 *
 * Settling is one macrotask: the runtime, the stores and the network only
 * ever continue on microtasks, and all of those drain before a macrotask
 * runs. Firing all of an instant's timers before settling (instead of
 * settling after each) is what a busy event loop does too, and it costs
 * one macrotask per instant instead of one per timer.
 */
import type { ManualClock } from '../time/manual-clock.js'

// setImmediate (Node) is a macrotask without setTimeout's clamping; browsers lack it.
const immediate = (globalThis as { setImmediate?: (fn: () => void) => unknown }).setImmediate

/** Resolves once every pending microtask (and what they queue) has run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)))
}

/**
 * Steps `clock` instant by instant up to `until` (inclusive), calling
 * `afterStep` at each quiescent point; ends at `until`. Returns the number
 * of steps taken.
 */
export async function stepUntil(
  clock: ManualClock,
  until: number,
  afterStep: (now: number) => Promise<void> | void,
): Promise<number> {
  let steps = 0
  for (let due = clock.nextDue(); due !== undefined && due <= until; due = clock.nextDue()) {
    clock.advance(due - clock.now())
    await settle()
    steps += 1
    await afterStep(clock.now())
  }
  if (clock.now() < until) clock.advance(until - clock.now())
  return steps
}
