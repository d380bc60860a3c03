/**
 * When a member is dialled next — the policy, apart from the timers:
 *   - no link: the designated dialer (smaller id) dials at once, then backs
 *     off per failure; the other side waits `acceptGraceMs` first, so it only
 *     dials when the designated dialer could not;
 *   - a relayed link that WebRTC could replace: the designated dialer tries
 *     the upgrade at once, then backs off per failed upgrade;
 *   - any other link: nothing to do.
 */
import type { LinkKind } from '../core/transport/link.js'
import { type BackoffPolicy, backoffDelay } from './backoff.js'

export interface DialSituation {
  /** We have the smaller peer id. */
  readonly designatedDialer: boolean
  /** The kind of the link we hold to the peer, if any. */
  readonly linkKind: LinkKind | undefined
  /** Both sides run WebRTC. */
  readonly webRTCPossible: boolean
  readonly failures: number
  readonly upgradeFailures: number
}

export interface DialSchedulePolicy {
  readonly peerBackoff: BackoffPolicy
  readonly upgradeBackoff: BackoffPolicy
  readonly acceptGraceMs: number
}

/** ms until the next dial or upgrade attempt, or undefined when none is due. */
export function nextDialDelay(
  situation: DialSituation,
  policy: DialSchedulePolicy,
  random: () => number = Math.random,
): number | undefined {
  const { designatedDialer, linkKind, failures, upgradeFailures } = situation
  if (linkKind === undefined) {
    const backoff = failures === 0 ? 0 : backoffDelay(policy.peerBackoff, failures, random)
    return designatedDialer ? backoff : policy.acceptGraceMs + backoff
  }
  if (linkKind === 'relayed' && designatedDialer && situation.webRTCPossible) {
    return upgradeFailures === 0 ? 0 : backoffDelay(policy.upgradeBackoff, upgradeFailures, random)
  }
  return undefined
}
