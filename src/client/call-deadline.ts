/**
 * Every client call settles: with its result, or with TimeoutError at its
 * deadline, or with AbortedError when the caller's signal fires. The work
 * itself is not cancelled (it runs in the worker); the caller stops waiting.
 */
import { AbortedError, InvalidArgumentError, TimeoutError } from '../core/errors.js'
import { type Clock, systemClock } from '../core/time/clock.js'

export interface CallOptions {
  /** Give up after this many ms (default: the client's `callTimeoutMs`). */
  readonly timeoutMs?: number
  /** Give up when this signal aborts. */
  readonly signal?: AbortSignal
}

export function checkTimeoutMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2 ** 31 - 1) {
    throw new InvalidArgumentError(`${name} must be a positive number of milliseconds`, {
      details: { option: name, value: String(value) },
    })
  }
  return value
}

export function abortedError(label: string, signal: AbortSignal): AbortedError {
  return new AbortedError(`${label} was aborted`, {
    cause: signal.reason,
    details: { call: label },
  })
}

/**
 * Races `work` against a deadline and a signal. `onSettle` runs once,
 * whichever wins, so callers can drop their bookkeeping.
 */
export function withDeadline<T>(
  label: string,
  work: Promise<T>,
  options: { readonly timeoutMs: number; readonly signal?: AbortSignal | undefined },
  clock: Clock = systemClock,
): Promise<T> {
  const { timeoutMs, signal } = options
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(label, signal))
      return
    }
    let settled = false
    const finish = () => {
      settled = true
      cancel()
      signal?.removeEventListener('abort', onAbort)
    }
    const onAbort = () => {
      if (settled) return
      finish()
      reject(abortedError(label, signal as AbortSignal))
    }
    const cancel = clock.setTimer(timeoutMs, () => {
      if (settled) return
      finish()
      reject(
        new TimeoutError(`${label} took longer than ${timeoutMs} ms`, {
          details: { call: label, timeoutMs },
        }),
      )
    })
    signal?.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        if (settled) return
        finish()
        resolve(value)
      },
      (error: unknown) => {
        if (settled) return
        finish()
        reject(error)
      },
    )
  })
}
