/**
 * Invariant 4, bounded queues: every running runtime's inbox lanes, append
 * backlog, outstanding-request set, heartbeat tracker and backoff map stay
 * within their caps. Sampled every BOUNDS_EVERY_HEARTBEATS heartbeats, at
 * a quiescent point, rather than after every step: a metrics snapshot per
 * runtime per step would cost more than every other check together. At a
 * quiescent point the inbox lanes have always drained, so what this
 * really watches is the state that persists between steps (tokens, peers
 * tracked, backoff entries); the lanes' caps are enforced structurally
 * (BoundedQueue refuses, and each refusal is counted as a route drop).
 * The highest values seen are kept for the report.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import { RUNTIME_INBOX_CAPACITY, RUNTIME_PRIORITY_INBOX_CAPACITY } from '../replication/inbox.js'
import { REQUEST_REGISTRY_SOFT_CAP } from '../replication/outstanding-requests.js'
import { APPEND_BACKLOG_DEFAULT } from '../replication/replication-runtime.js'
import { InvariantViolation } from './invariant-violation.js'
import type { SimPeer } from './sim-peer.js'

export const BOUNDS_EVERY_HEARTBEATS = 4

export interface BoundsSeen {
  lowLane: number
  priorityLane: number
  appendBacklog: number
  outstandingRequests: number
  trackedPeers: number
  backoffEntries: number
}

/** A running runtime's depths and sizes; undefined when the peer is down. */
export function runtimeDepths(peer: SimPeer, channel: ChannelId): BoundsSeen | undefined {
  const m = peer.node?.runtime(channel)?.metrics()
  if (m === undefined) return undefined
  return {
    lowLane: m.queues.lowLane,
    priorityLane: m.queues.priorityLane,
    appendBacklog: m.queues.appendBacklog,
    outstandingRequests: m.outstandingRequests,
    trackedPeers: m.trackedPeers,
    backoffEntries: m.backoffEntries,
  }
}

export type BoundedPeer = Pick<SimPeer, 'id' | 'channels'>

export class BoundsChecker<P extends BoundedPeer = SimPeer> {
  readonly maxSeen: BoundsSeen = {
    lowLane: 0,
    priorityLane: 0,
    appendBacklog: 0,
    outstandingRequests: 0,
    trackedPeers: 0,
    backoffEntries: 0,
  }
  readonly #peers: readonly P[]
  readonly #depths: (peer: P, channel: ChannelId) => BoundsSeen | undefined

  constructor(
    peers: readonly P[],
    depths: (peer: P, channel: ChannelId) => BoundsSeen | undefined,
  ) {
    this.#peers = peers
    this.#depths = depths
  }

  check(now: number): void {
    for (const peer of this.#peers) {
      for (const plan of peer.channels) {
        const seen = this.#depths(peer, plan.channel)
        if (seen === undefined) continue
        const members = plan.replicaSet.length
        const caps: BoundsSeen = {
          lowLane: RUNTIME_INBOX_CAPACITY,
          priorityLane: RUNTIME_PRIORITY_INBOX_CAPACITY,
          appendBacklog: APPEND_BACKLOG_DEFAULT,
          outstandingRequests: REQUEST_REGISTRY_SOFT_CAP,
          trackedPeers: members,
          backoffEntries: members,
        }
        for (const key of Object.keys(caps) as (keyof BoundsSeen)[]) {
          this.maxSeen[key] = Math.max(this.maxSeen[key], seen[key])
          if (seen[key] > caps[key])
            this.#fail(now, peer.id, plan.channel, key, seen[key], caps[key])
        }
      }
    }
  }

  #fail(now: number, peer: PeerId, channel: string, what: string, value: number, cap: number) {
    throw new InvariantViolation('bounds', now, `${peer}/${channel}: ${what} ${value} > cap ${cap}`)
  }
}
