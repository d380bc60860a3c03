/**
 * What this peer has heard from the rest of the replica set: each peer's
 * last heartbeat (when, which role, which tail) and which peer it follows
 * as leader. Pure: every method takes `now` from the caller's clock.
 *
 * A peer is silent once `missThreshold × heartbeatMs` passes without a
 * heartbeat; three misses (the default) ride out transient loss without
 * election thrash.
 */
import type { PeerId, Seq } from '../log/ids.js'
import type { ReplicaRole } from './messages.js'

export const DEFAULT_MISS_THRESHOLD = 3

export interface PeerState {
  readonly lastSeen: number
  readonly role: ReplicaRole
  readonly tailSeq: Seq
}

export class HeartbeatTracker {
  readonly heartbeatMs: number
  readonly missThreshold: number
  readonly #peers = new Map<PeerId, PeerState>()
  #believedLeader: PeerId | undefined
  #leaderlessSince: number | undefined

  constructor(heartbeatMs: number, missThreshold = DEFAULT_MISS_THRESHOLD) {
    this.heartbeatMs = heartbeatMs
    // A threshold of 0 would make even a fresh heartbeat "silent".
    this.missThreshold = Math.max(1, Math.floor(missThreshold))
  }

  /** How long a peer may stay quiet before it counts as silent, ms. */
  get silenceWindowMs(): number {
    return this.heartbeatMs * this.missThreshold
  }

  get believedLeader(): PeerId | undefined {
    return this.#believedLeader
  }

  get peerCount(): number {
    return this.#peers.size
  }

  recordHeartbeat(peer: PeerId, role: ReplicaRole, tailSeq: Seq, now: number): void {
    this.#peers.set(peer, { lastSeen: now, role, tailSeq })
    if (role === 'leader') {
      // Among concurrent leader claimants keep the smallest id, the same
      // tiebreak the election uses: two claimants' alternating heartbeats
      // must not flip the replica between them (and interleave their chunks).
      if (this.#believedLeader === undefined || peer < this.#believedLeader) {
        this.#believedLeader = peer
        this.#leaderlessSince = undefined
      }
    } else if (peer === this.#believedLeader) {
      // Beyond the seed: the followed peer says it is no longer leader (it
      // lost a dual-leader tiebreak, say). Following it would pin this
      // replica to a peer that NACKs or never advances; drop the belief so
      // the real leader's next heartbeat takes over.
      this.clearBelievedLeader(now)
      // Beyond the seed: another peer claimed leadership within the miss
      // window (a hand-off successor, a tiebreak winner): follow it now
      // rather than wait for its next beat.
      const next = this.#freshLeaderClaimant(now)
      if (next !== undefined) {
        this.#believedLeader = next
        this.#leaderlessSince = undefined
      }
    }
  }

  /**
   * A heartbeat in which the believed leader claims to lead arrived and
   * waits for the loop: the leader is not silent as of `now`. What it says
   * (role, tail) is recorded when the loop handles it; this only keeps a
   * long step of the loop (applying a large chunk) from making a live
   * leader look silent to the tick that is served before that heartbeat.
   */
  leaderHeard(peer: PeerId, now: number): void {
    if (peer !== this.#believedLeader) return
    const state = this.#peers.get(peer)
    if (state !== undefined && now > state.lastSeen)
      this.#peers.set(peer, { ...state, lastSeen: now })
  }

  #freshLeaderClaimant(now: number): PeerId | undefined {
    let best: PeerId | undefined
    for (const [peer, state] of this.#peers) {
      if (state.role !== 'leader' || now - state.lastSeen >= this.silenceWindowMs) continue
      if (best === undefined || peer < best) best = peer
    }
    return best
  }

  /**
   * Follow `peer` now: it took over by hand-off from the leader we followed
   * (or from us), and said so.
   */
  follow(peer: PeerId, now: number): void {
    const state = this.#peers.get(peer)
    this.#peers.set(peer, { lastSeen: now, role: 'leader', tailSeq: state?.tailSeq ?? (0 as Seq) })
    this.#believedLeader = peer
    this.#leaderlessSince = undefined
  }

  /** seed 001: the believed leader has been quiet for the whole miss window. */
  isLeaderSilent(now: number): boolean {
    if (this.#believedLeader === undefined) return false
    const leader = this.#peers.get(this.#believedLeader)
    if (leader === undefined) return true
    return now - leader.lastSeen >= this.silenceWindowMs
  }

  /**
   * Beyond the seed: no leader has been believed for a whole miss window
   * since `markLeaderless`. A replica set that starts without a leader (or
   * whose leader left without a trace) needs this to ever elect one.
   */
  isLeaderlessTooLong(now: number): boolean {
    if (this.#believedLeader !== undefined || this.#leaderlessSince === undefined) return false
    return now - this.#leaderlessSince >= this.silenceWindowMs
  }

  /** Starts the leaderless window now, unless a leader is believed. */
  markLeaderless(now: number): void {
    if (this.#believedLeader === undefined) this.#leaderlessSince = now
  }

  /** Forgets which peer is leader; the peers' observations stay. */
  clearBelievedLeader(now: number): void {
    this.#believedLeader = undefined
    this.#leaderlessSince = now
  }

  /**
   * Beyond the seed: the transport says `peer` is gone (its link closed), so
   * its last heartbeat is no evidence of life any more. Its observation is
   * dropped at once; a believed leader stays believed but reads as silent,
   * so the next tick moves the replica to Candidate without waiting out the
   * miss window.
   */
  forget(peer: PeerId): boolean {
    return this.#peers.delete(peer)
  }

  peerState(peer: PeerId): PeerState | undefined {
    return this.#peers.get(peer)
  }

  /** Time since `peer`'s last heartbeat, ms; undefined for a peer never heard. */
  peerLag(peer: PeerId, now: number): number | undefined {
    const state = this.#peers.get(peer)
    return state === undefined ? undefined : Math.max(0, now - state.lastSeen)
  }

  /** Peers heard within the miss window, sorted by id. */
  healthyPeers(now: number): PeerId[] {
    const healthy: PeerId[] = []
    for (const [peer, state] of this.#peers) {
      if (now - state.lastSeen < this.silenceWindowMs) healthy.push(peer)
    }
    return healthy.sort()
  }

  /** Every peer's last reported tail. */
  peerTailSeqs(): [PeerId, Seq][] {
    return [...this.#peers].map(([peer, state]) => [peer, state.tailSeq])
  }
}
