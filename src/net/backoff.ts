/**
 * Exponential backoff with "equal jitter": half the delay is fixed, half is
 * random, so peers that lost the relay at the same instant do not redial it
 * in lockstep, yet every wait is at least half the nominal delay.
 */
import { describeValue, InvalidArgumentError } from '../core/errors.js'

export interface BackoffPolicy {
  /** Delay before the first retry. */
  readonly initialMs: number
  /** No delay is longer than this. */
  readonly maxMs: number
  /** Growth per failed attempt. */
  readonly factor: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 250, maxMs: 10_000, factor: 2 }

export function checkBackoff(policy: BackoffPolicy): BackoffPolicy {
  const { initialMs, maxMs, factor } = policy
  if (!(initialMs > 0 && maxMs >= initialMs && factor >= 1 && Number.isFinite(maxMs))) {
    throw new InvalidArgumentError(
      'backoff needs 0 < initialMs <= maxMs (finite) and factor >= 1',
      {
        details: { policy: describeValue(policy), initialMs, maxMs, factor },
      },
    )
  }
  return policy
}

/** Delay before retry number `failures` (1 = after the first failure). */
export function backoffDelay(
  policy: BackoffPolicy,
  failures: number,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, failures - 1)
  const nominal = Math.min(policy.maxMs, policy.initialMs * policy.factor ** exponent)
  return Math.round(nominal / 2 + (nominal / 2) * random())
}
