/**
 * Invariant 3: after the heal (no partition, clean links, every peer up,
 * every disk free, no more appends), run after every step. Converged means,
 * for every channel: exactly one member leads, every other member is a
 * replica that follows it and has heard it since the heal (a belief held
 * over from the faults, its last heartbeat lost to them, may still time
 * out: seed 600 of 1,000 converged 2 ms before a replica that had lost
 * three heartbeats in a row stood for election), and every member's log ends at the leader's
 * tail with the leader's last hash (the log checker has verified each log
 * chains, so equal last hashes mean equal logs), and every member's outbox
 * is empty: every write taken while the mesh was broken has been
 * delivered and seen committed. It must hold within
 * `boundMs` of the heal (SETTLE_BOUND_HEARTBEATS heartbeats) and then keep
 * holding until the run ends: a converged mesh with no faults and no
 * writes has no reason to move.
 */
import { equals } from 'uint8arrays/equals'
import type { ChannelId, PeerId } from '../log/ids.js'
import type { LogChecker } from './check-logs.js'
import { InvariantViolation } from './invariant-violation.js'
import type { SimPeer } from './sim-peer.js'

/** What convergence needs to know of a peer. */
export type ConvergingPeer = Pick<SimPeer, 'role' | 'follows' | 'heardAt' | 'outboxSize'>

import type { SimChannelPlan } from './sim-scenario.js'

export class ConvergenceChecker {
  readonly healedAt: number
  readonly boundMs: number
  convergedAt: number | undefined
  /** The leader of each channel once converged. */
  readonly leaders = new Map<ChannelId, PeerId>()
  readonly #peers: ReadonlyMap<PeerId, ConvergingPeer>
  readonly #channels: readonly SimChannelPlan[]
  readonly #logs: LogChecker

  constructor(options: {
    healedAt: number
    boundMs: number
    peers: ReadonlyMap<PeerId, ConvergingPeer>
    channels: readonly SimChannelPlan[]
    logs: LogChecker
  }) {
    this.healedAt = options.healedAt
    this.boundMs = options.boundMs
    this.#peers = options.peers
    this.#channels = options.channels
    this.#logs = options.logs
  }

  check(now: number): void {
    const problem = this.problem()
    if (problem === undefined) {
      this.convergedAt ??= now
      return
    }
    if (this.convergedAt !== undefined) {
      throw new InvariantViolation(
        'convergence',
        now,
        `diverged again after converging at t=${this.convergedAt}: ${problem}`,
      )
    }
    if (now - this.healedAt > this.boundMs) {
      throw new InvariantViolation(
        'convergence',
        now,
        `not converged ${now - this.healedAt} ms after the heal (bound ${this.boundMs} ms): ${problem}`,
      )
    }
  }

  /** What keeps the mesh from being converged now; undefined when it is. */
  problem(): string | undefined {
    for (const plan of this.#channels) {
      const roles = plan.replicaSet.map((id) => {
        const peer = this.#peers.get(id)
        return {
          id,
          role: peer?.role(plan.channel) ?? 'down',
          follows: peer?.follows(plan.channel),
          heardAt: (leader: PeerId) => peer?.heardAt(plan.channel, leader),
          outbox: peer?.outboxSize(plan.channel) ?? 0,
        }
      })
      const leaders = roles.filter((r) => r.role === 'leader')
      if (leaders.length !== 1) {
        const all = roles.map((r) => `${r.id}=${r.role}`).join(' ')
        return `${plan.channel} has ${leaders.length} leaders (${all})`
      }
      const leader = (leaders[0] as { id: PeerId }).id
      const reference = this.#logs.mirror(leader, plan.channel)
      for (const r of roles) {
        if (r.outbox > 0) return `${r.id} has ${r.outbox} writes in its ${plan.channel} outbox`
        if (r.id === leader) continue
        if (r.role !== 'replica') return `${r.id} is ${r.role} in ${plan.channel}`
        if (r.follows !== leader) {
          return `${r.id} follows ${r.follows ?? 'nobody'}, not ${leader}, in ${plan.channel}`
        }
        const heard = r.heardAt(leader)
        if (heard === undefined || heard < this.healedAt) {
          return `${r.id} has not heard ${leader} since the heal in ${plan.channel}`
        }
        const log = this.#logs.mirror(r.id, plan.channel)
        if (log.nextSeq !== reference.nextSeq || !equals(log.lastHash, reference.lastHash)) {
          return `${r.id} ends at ${log.nextSeq}, leader ${leader} at ${reference.nextSeq} in ${plan.channel}${
            log.nextSeq === reference.nextSeq ? ' (different last hash)' : ''
          }`
        }
      }
      this.leaders.set(plan.channel, leader)
    }
    return undefined
  }
}
