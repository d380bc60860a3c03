/**
 * Which link a peer pair keeps when two exist (both sides dialled at once, or
 * a WebRTC link arrived while a relayed one was up). Both ends run the same
 * rule on the same facts, so they keep the same link and close the other:
 *   1. the better kind (webrtc > websocket > relayed);
 *   2. else the link opened by the peer with the smaller id — the one that
 *      dials first by `isDesignatedDialer`;
 *   3. else the newer link (the older one is likely half dead).
 */

import type { LinkKind } from '../core/transport/link.js'
import { LINK_KIND_RANK } from './link-kind.js'

export interface LinkFacts {
  readonly kind: LinkKind
  /** Peer id of the side that opened the link's stream. */
  readonly openedBy: string
  readonly openedAt: number
}

export function prefersCandidate(current: LinkFacts, candidate: LinkFacts): boolean {
  const rank = LINK_KIND_RANK[candidate.kind] - LINK_KIND_RANK[current.kind]
  if (rank !== 0) return rank > 0
  if (candidate.openedBy !== current.openedBy) return candidate.openedBy < current.openedBy
  return candidate.openedAt >= current.openedAt
}

/** Of two peers, the one with the smaller id dials; the other waits a grace period first. */
export function isDesignatedDialer(self: string, peer: string): boolean {
  return self < peer
}
