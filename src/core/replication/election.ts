/**
 * Deterministic nearest-RTT election, run by a Candidate over its own view:
 * among the healthy members of the replica set, the lowest RTT wins (self
 * counts as 0 ms), ties go to the smallest peer id. No votes, no epochs.
 * Peers without an RTT measurement are not eligible.
 *
 * Two candidates with different views may both win; the heartbeat
 * dual-leader tiebreak then demotes one of them within a heartbeat.
 */
import type { PeerId } from '../log/ids.js'
import type { ReplicaRole } from './messages.js'
import type { TransitionSignal } from './transition-rules.js'

/** Measured round-trip time to a peer, ms; undefined when never measured. */
export type RttLookup = (peer: PeerId) => number | undefined

export type ElectionOutcome =
  | { readonly kind: 'self-wins' }
  | { readonly kind: 'peer-wins'; readonly peer: PeerId }
  | { readonly kind: 'no-eligible-replica' }

export interface PendingTransition {
  readonly target: ReplicaRole
  readonly signal: TransitionSignal
}

export function elect(
  replicaSet: readonly PeerId[],
  self: PeerId,
  rttTo: RttLookup,
  isHealthy: (peer: PeerId) => boolean,
): ElectionOutcome {
  let best: { peer: PeerId; rtt: number } | undefined
  for (const peer of new Set(replicaSet)) {
    if (!isHealthy(peer)) continue
    const rtt = peer === self ? 0 : rttTo(peer)
    if (rtt === undefined || Number.isNaN(rtt)) continue
    if (best === undefined || rtt < best.rtt || (rtt === best.rtt && peer < best.peer)) {
      best = { peer, rtt }
    }
  }
  if (best === undefined) return { kind: 'no-eligible-replica' }
  return best.peer === self ? { kind: 'self-wins' } : { kind: 'peer-wins', peer: best.peer }
}

/** The transition a Candidate makes after `elect`; undefined keeps it Candidate. */
export function electionTransition(outcome: ElectionOutcome): PendingTransition | undefined {
  switch (outcome.kind) {
    case 'self-wins':
      return { target: 'leader', signal: 'election-won' }
    case 'peer-wins':
      return { target: 'replica', signal: 'election-lost' }
    case 'no-eligible-replica':
      return undefined
  }
}
