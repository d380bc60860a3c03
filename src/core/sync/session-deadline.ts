/**
 * seed 000: one deadline covers both waiting for a concurrency slot and
 * running, so a saturated actor cannot park a job (and the manager waiting
 * for its result) indefinitely, and total time per session is bounded by
 * the deadline, not twice it. The slot is released on every path; work that
 * ignores its signal is abandoned when the signal fires.
 */
import type { TimeoutError } from '../errors.js'
import type { Clock } from '../time/clock.js'
import { linkSignals, raceAbort } from './abort-signals.js'
import type { ReleaseSlot, SessionSlots } from './session-slots.js'

export type DeadlineSettlement<T> =
  | { readonly status: 'ok'; readonly value: T }
  | { readonly status: 'error'; readonly error: unknown }
  | { readonly status: 'timeout'; readonly error: TimeoutError }

export interface DeadlineRun<T> {
  readonly clock: Clock
  readonly slots: SessionSlots
  readonly deadlineMs: number
  /** Fired as the deadline passes: the error the run times out with. */
  readonly timeoutError: () => TimeoutError
  /** Aborts the run at any stage (a forced stop). */
  readonly abort: AbortSignal
  /** Aborts only while waiting for a slot (a stop cancels work not yet started). */
  readonly cancelWaiting: AbortSignal
  readonly work: (signal: AbortSignal) => Promise<T>
}

/** Never rejects: every way the run can end is a settlement. */
export async function runUnderDeadline<T>(run: DeadlineRun<T>): Promise<DeadlineSettlement<T>> {
  const deadline = new AbortController()
  const cancelDeadline = run.clock.setTimer(run.deadlineMs, () =>
    deadline.abort(run.timeoutError()),
  )
  const running = linkSignals(deadline.signal, run.abort)
  const waiting = linkSignals(running.signal, run.cancelWaiting)
  let release: ReleaseSlot | undefined
  try {
    release = await run.slots.acquire(waiting.signal)
    waiting.dispose()
    const value = await raceAbort(
      Promise.resolve().then(() => run.work(running.signal)),
      running.signal,
    )
    return { status: 'ok', value }
  } catch (error) {
    return deadline.signal.aborted
      ? { status: 'timeout', error: deadline.signal.reason as TimeoutError }
      : { status: 'error', error }
  } finally {
    cancelDeadline()
    waiting.dispose()
    running.dispose()
    release?.()
  }
}
