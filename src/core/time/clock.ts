/**
 * Time enters core only through a Clock, so the simulator can run hours of
 * mesh traffic in milliseconds and replay any run from its seed.
 */
export type Cancel = () => void

export interface Clock {
  /** Monotonic milliseconds since an arbitrary origin. */
  now(): number
  /** Wall-clock milliseconds since the Unix epoch: for display and drift checks only. */
  wallNow(): number
  /** Runs `fn` once, `ms` from now; the returned function cancels it (idempotent). */
  setTimer(ms: number, fn: () => void): Cancel
}

/** The real clock: `performance.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms))
    return () => clearTimeout(handle)
  },
}

/** Resolves after `ms` on `clock`, or rejects with the signal's reason when aborted. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = () => {
      cancel()
      reject(signal?.reason)
    }
    const cancel = clock.setTimer(ms, () => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    })
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
