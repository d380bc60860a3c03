/**
 * What the manager remembers about each peer it synced with: when it was
 * last seen, last succeeded, and how often sessions with it failed. Bounded
 * twice (seed 003 prunes by TTL and cap in maintenance; we also enforce the
 * cap on insert so the table is bounded even with maintenance off), and every
 * pruned state is counted by reason.
 *
 * Entries are kept in order of `lastSeenAt` (a Map re-inserted on update,
 * with a monotonic clock), so pruning the oldest is O(1) per state.
 */
import type { PeerId } from '../log/ids.js'
import { DropCounter } from '../queue/drop-counter.js'
import type { SessionStatus } from './session-metrics.js'

export interface PeerSyncState {
  readonly peer: PeerId
  readonly firstSeenAt: number
  readonly lastSeenAt: number
  readonly lastSuccessAt: number | undefined
  readonly successes: number
  readonly failures: number
  /** Code of the last failure (`ERR_TIMEOUT` for a deadline). */
  readonly lastErrorCode: string | undefined
  /** The peer misbehaved: no session is opened with it before this clock time. */
  readonly avoidedUntil: number | undefined
}

export type PeerStatePruneReason = 'ttl' | 'cap'

export interface PruneCounts {
  readonly ttl: number
  readonly cap: number
}

export class PeerSyncStates {
  readonly #states = new Map<PeerId, PeerSyncState>()
  readonly #pruned = new DropCounter<PeerStatePruneReason>(['ttl', 'cap'])
  #maxStates: number

  constructor(maxStates: number) {
    this.#maxStates = maxStates
  }

  get size(): number {
    return this.#states.size
  }

  get(peer: PeerId): PeerSyncState | undefined {
    return this.#states.get(peer)
  }

  /** States, least recently seen first. */
  list(): PeerSyncState[] {
    return [...this.#states.values()]
  }

  pruned(): Readonly<Record<PeerStatePruneReason, number>> & { readonly total: number } {
    return this.#pruned.snapshot()
  }

  record(peer: PeerId, status: SessionStatus, now: number, errorCode?: string): PeerSyncState {
    const previous = this.#states.get(peer)
    const ok = status === 'ok'
    const next: PeerSyncState = {
      peer,
      firstSeenAt: previous?.firstSeenAt ?? now,
      lastSeenAt: now,
      lastSuccessAt: ok ? now : previous?.lastSuccessAt,
      successes: (previous?.successes ?? 0) + (ok ? 1 : 0),
      failures: (previous?.failures ?? 0) + (ok ? 0 : 1),
      lastErrorCode: ok ? previous?.lastErrorCode : errorCode,
      avoidedUntil: previous?.avoidedUntil,
    }
    this.#states.delete(peer)
    this.#states.set(peer, next)
    this.#evictBeyond(this.#maxStates)
    return next
  }

  /**
   * Marks `peer` as avoided until `until` (a later mark extends it). The
   * state is refreshed as it is marked, so the cap prunes it last.
   */
  avoid(peer: PeerId, now: number, until: number, errorCode: string): PeerSyncState {
    const state = this.record(peer, 'error', now, errorCode)
    const marked = { ...state, avoidedUntil: Math.max(until, state.avoidedUntil ?? until) }
    this.#states.set(peer, marked)
    return marked
  }

  isAvoided(peer: PeerId, now: number): boolean {
    const until = this.#states.get(peer)?.avoidedUntil
    return until !== undefined && now < until
  }

  /** seed 003 maintenance: drop states older than `ttlMs`, then the oldest beyond `maxStates`. */
  prune(now: number, ttlMs: number, maxStates: number): PruneCounts {
    this.#maxStates = maxStates
    let ttl = 0
    for (const [peer, state] of this.#states) {
      if (now - state.lastSeenAt <= ttlMs) break
      this.#states.delete(peer)
      ttl++
    }
    this.#pruned.record('ttl', ttl)
    return { ttl, cap: this.#evictBeyond(maxStates) }
  }

  /**
   * Up to `limit` of `peers`, those never synced first (in the order given),
   * then the least recently seen, leaving out peers avoided at `now`: who an
   * automatic round should visit.
   */
  leastRecentlySeen(peers: readonly PeerId[], limit: number, now = 0): PeerId[] {
    const unseen = peers.filter((p) => !this.#states.has(p))
    const wanted = new Set(peers.filter((p) => !this.isAvoided(p, now)))
    const seen = [...this.#states.keys()].filter((p) => wanted.has(p))
    return [...unseen, ...seen].slice(0, limit)
  }

  #evictBeyond(maxStates: number): number {
    let evicted = 0
    for (const peer of this.#states.keys()) {
      if (this.#states.size <= maxStates) break
      this.#states.delete(peer)
      evicted++
    }
    this.#pruned.record('cap', evicted)
    return evicted
  }
}
