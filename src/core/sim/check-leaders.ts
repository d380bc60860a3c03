/**
 * Invariant 2, leaders: run after every step. Two leaders of one channel
 * are allowed while they cannot hear each other (a partition or a crash
 * separates them). Once both are up, in the same partition group and on
 * loss-free links, the seed's tiebreak must demote one of them within
 * `graceMs` (see `dualLeaderGraceMs`): each leader heartbeats the other
 * every heartbeat, and the first heartbeat a loser receives from the
 * winner demotes it. While links drop frames there is no such bound (the
 * heartbeats themselves may be lost), so the window is not timed then.
 */
import type { PeerId } from '../log/ids.js'
import { InvariantViolation } from './invariant-violation.js'
import type { SimNetwork } from './sim-network.js'
import type { SimPeer } from './sim-peer.js'

export type LeadingPeer = Pick<SimPeer, 'role'>
export type Reachability = Pick<SimNetwork, 'canReach' | 'faults'>

import type { SimChannelPlan } from './sim-scenario.js'

/**
 * One heartbeat for each side's next beat, one for a tiebreak computed on
 * tails that moved while the heartbeats were in flight (both sides can
 * then believe they won once), one more for margin, plus the slowest
 * delivery the links allow.
 */
export function dualLeaderGraceMs(heartbeatMs: number, maxDelayMs: number): number {
  return 3 * heartbeatMs + 2 * maxDelayMs
}

export class LeaderChecker {
  /** Dual-leader windows seen between peers that could hear each other. */
  windows = 0
  longestWindowMs = 0
  readonly #net: Reachability
  readonly #peers: ReadonlyMap<PeerId, LeadingPeer>
  readonly #channels: readonly SimChannelPlan[]
  readonly #graceMs: number
  readonly #since = new Map<string, number>()

  constructor(
    net: Reachability,
    peers: ReadonlyMap<PeerId, LeadingPeer>,
    channels: readonly SimChannelPlan[],
    heartbeatMs: number,
    /** Slowest delivery the links may ever have used (latency plus reorder delay). */
    maxDelayMs: number,
  ) {
    this.#net = net
    this.#peers = peers
    this.#channels = channels
    this.#graceMs = dualLeaderGraceMs(heartbeatMs, maxDelayMs)
  }

  get graceMs(): number {
    return this.#graceMs
  }

  /** The up peers leading `plan`'s channel now. */
  leadersOf(plan: SimChannelPlan): PeerId[] {
    return plan.replicaSet.filter((id) => this.#peers.get(id)?.role(plan.channel) === 'leader')
  }

  check(now: number): void {
    const seen = new Set<string>()
    const timed = this.#net.faults.loss === 0
    const grace = this.#graceMs
    for (const plan of this.#channels) {
      const leaders = this.leadersOf(plan)
      for (const [i, a] of leaders.entries()) {
        for (const b of leaders.slice(i + 1)) {
          if (!timed || !this.#net.canReach(a, b)) continue
          const key = `${plan.channel}|${a}|${b}`
          seen.add(key)
          let since = this.#since.get(key)
          if (since === undefined) {
            since = now
            this.#since.set(key, now)
            this.windows += 1
          }
          this.longestWindowMs = Math.max(this.longestWindowMs, now - since)
          if (now - since > grace) {
            throw new InvariantViolation(
              'dual-leader',
              now,
              `${a} and ${b} both lead ${plan.channel} ${now - since} ms after they could hear each other (grace ${grace} ms)`,
            )
          }
        }
      }
    }
    for (const key of this.#since.keys()) if (!seen.has(key)) this.#since.delete(key)
  }
}
