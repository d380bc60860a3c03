/**
 * Beyond the seed: a leader holds ("parks") a replica's SyncRequest that
 * asks from exactly the leader's tail — the replica is caught up — instead
 * of answering it empty, and answers it as soon as the tail moves. A new
 * entry then reaches a caught-up replica with the leader's next send,
 * without waiting for a tail notice and the pull it invites.
 *
 * At most one request per replica is parked, for at most `holdMs` (answered
 * empty by the next tick after that); a newer request from the same replica
 * replaces the parked one, which is answered at once.
 */
import type { PeerId } from '../log/ids.js'
import type { SyncRequest } from './messages.js'

/** How long a caught-up replica's request may wait for the next append, by default. */
export const PARK_HOLD_MS_DEFAULT = 250

interface Parked {
  readonly request: SyncRequest
  readonly parkedAt: number
}

export class ParkedRequests {
  readonly #byPeer = new Map<PeerId, Parked>()

  get size(): number {
    return this.#byPeer.size
  }

  /** Parks `request`; hands back the one it displaced from the same peer, if any. */
  park(from: PeerId, request: SyncRequest, now: number): SyncRequest | undefined {
    const displaced = this.#byPeer.get(from)?.request
    this.#byPeer.set(from, { request, parkedAt: now })
    return displaced
  }

  /** Every parked request, removed. */
  takeAll(): Array<readonly [PeerId, SyncRequest]> {
    const all = [...this.#byPeer].map(([peer, parked]) => [peer, parked.request] as const)
    this.#byPeer.clear()
    return all
  }

  /** The requests parked at least `holdMs` ago, removed. */
  takeExpired(now: number, holdMs: number): Array<readonly [PeerId, SyncRequest]> {
    const expired: Array<readonly [PeerId, SyncRequest]> = []
    for (const [peer, parked] of this.#byPeer) {
      if (now - parked.parkedAt < holdMs) continue
      this.#byPeer.delete(peer)
      expired.push([peer, parked.request])
    }
    return expired
  }

  /** Forgets what `peer` parked (its link closed: nobody waits for the answer). */
  drop(peer: PeerId): void {
    this.#byPeer.delete(peer)
  }
}
