/**
 * Deadlines and retries. Every dial, stream open and wait in the networking
 * layer runs under an AbortSignal that combines the caller's signal with a
 * timeout, and every failure surfaces as a MeshlogError: a timeout as
 * `TimeoutError`, a caller's abort as `AbortedError`.
 */
import { AbortedError, MeshlogError, TimeoutError } from '../core/errors.js'
import { type BackoffPolicy, backoffDelay } from './backoff.js'

/** A signal that aborts after `ms` or when `parent` aborts, whichever is first. */
export function deadlineSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(ms)
  return parent === undefined ? timeout : AbortSignal.any([parent, timeout])
}

/** A platform or libp2p abort or timeout (not one of ours). */
export function isAbortLike(err: unknown): boolean {
  return (
    err instanceof Error &&
    (err.name === 'AbortError' || err.name === 'TimeoutError') &&
    !(err instanceof MeshlogError)
  )
}

/**
 * Maps a failure under `signal` to a typed error: if the deadline passed it is
 * a `TimeoutError`, if the caller aborted an `AbortedError`; other
 * MeshlogErrors pass through; anything else is wrapped by `wrap`.
 */
export function typedFailure(
  err: unknown,
  what: string,
  signal: AbortSignal | undefined,
  callerSignal: AbortSignal | undefined,
  wrap: (message: string, cause: unknown) => MeshlogError,
): MeshlogError {
  if (callerSignal?.aborted === true) {
    return new AbortedError(`${what} aborted`, { cause: callerSignal.reason ?? err })
  }
  // The attempt said itself how it ran out of time.
  if (err instanceof TimeoutError) return err
  if (signal?.aborted === true || isAbortLike(err)) {
    return new TimeoutError(`${what} ran past its deadline`, { cause: err })
  }
  if (err instanceof MeshlogError) return err
  return wrap(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, err)
}

/** Resolves after `ms`, or rejects with `AbortedError` when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(new AbortedError('wait aborted', { cause: signal.reason }))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new AbortedError('wait aborted', { cause: signal?.reason }))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export interface RetryOptions {
  /** What is being attempted, for error messages ("dial 12D3…"). */
  readonly what: string
  /** How many attempts in total (>= 1). */
  readonly attempts: number
  /** Deadline of the first attempt. */
  readonly attemptTimeoutMs: number
  /**
   * Each later attempt gets twice the deadline of the one before, up to this
   * bound. Default `attemptTimeoutMs`: every attempt has the same deadline.
   */
  readonly attemptTimeoutMaxMs?: number
  readonly backoff: BackoffPolicy
  readonly signal?: AbortSignal
  /** Wraps a non-meshlog failure of the last attempt. */
  readonly wrap: (message: string, cause: unknown) => MeshlogError
  /** Told of each failed attempt (not of a caller's abort), before the backoff. */
  readonly onAttemptFailed?: (error: MeshlogError, attemptNumber: number) => void
  readonly random?: () => number
}

/** The deadline of attempt `n` (from 1): doubling from `first`, capped at `max`. */
export function attemptDeadline(first: number, max: number, n: number): number {
  return Math.min(first * 2 ** (n - 1), Math.max(first, max))
}

/**
 * Runs `attempt` until it succeeds or `attempts` ran out, each under its own
 * deadline, with backoff in between. A caller's abort stops at once;
 * otherwise the last attempt's typed failure is thrown. A deadline that
 * doubles per attempt lets a short first try catch the common fast case
 * while a slow path (a loaded machine, a far peer) still gets its time.
 */
export async function retry<T>(
  attempt: (signal: AbortSignal, attemptNumber: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  let lastError: MeshlogError | undefined
  for (let n = 1; n <= options.attempts; n++) {
    const timeoutMs = attemptDeadline(
      options.attemptTimeoutMs,
      options.attemptTimeoutMaxMs ?? options.attemptTimeoutMs,
      n,
    )
    const signal = deadlineSignal(timeoutMs, options.signal)
    try {
      return await attempt(signal, n)
    } catch (err) {
      lastError = typedFailure(err, options.what, signal, options.signal, options.wrap)
      if (lastError instanceof AbortedError) throw lastError
      options.onAttemptFailed?.(lastError, n)
    }
    if (n < options.attempts) {
      await sleep(backoffDelay(options.backoff, n, options.random), options.signal)
    }
  }
  throw lastError ?? options.wrap(`${options.what} was never attempted`, undefined)
}
