/**
 * Which lag gauge a tick updates. A leader reports its worst replica (the
 * longest time since any replica's last heartbeat); a replica reports its
 * believed leader's. Candidates and idle peers report nothing, and a peer
 * never heard from is not an observation.
 */
import type { PeerId } from '../log/ids.js'
import type { HeartbeatTracker } from './heartbeat-tracker.js'
import type { ReplicaRole } from './messages.js'

export type LagObservation =
  | { readonly kind: 'leader'; readonly lagMs: number }
  | { readonly kind: 'replica'; readonly lagMs: number }
  | { readonly kind: 'none' }

const NONE: LagObservation = { kind: 'none' }

export function observeLag(
  role: ReplicaRole,
  replicaSet: readonly PeerId[],
  self: PeerId,
  tracker: HeartbeatTracker,
  now: number,
): LagObservation {
  if (role === 'leader') {
    let worst: number | undefined
    for (const peer of replicaSet) {
      if (peer === self) continue
      const lag = tracker.peerLag(peer, now)
      if (lag !== undefined && (worst === undefined || lag > worst)) worst = lag
    }
    return worst === undefined ? NONE : { kind: 'leader', lagMs: worst }
  }
  if (role === 'replica') {
    const leader = tracker.believedLeader
    const lag = leader === undefined ? undefined : tracker.peerLag(leader, now)
    return lag === undefined ? NONE : { kind: 'replica', lagMs: lag }
  }
  return NONE
}
