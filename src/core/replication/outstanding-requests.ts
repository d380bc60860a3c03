/**
 * seed 001: the replica's in-flight SyncRequests, keyed by
 * `(leader, requestId)`. A SyncResponse or SyncNack is acted on only if it
 * echoes a token still in here, so a stale answer (to a request already
 * re-issued) or a forged one cannot reach the apply path.
 *
 * Tokens expire after REQUEST_TTL_MS. The set stays bounded: at the soft
 * cap an insert first drops expired tokens and then, if still full, the
 * oldest ones (counted in `evicted`).
 *
 * Beyond the seed: which requests are still "in flight" (a replica pulls
 * again only when none is) depends on how long this leader's answers take.
 * A request counts as in flight for the caller's window (a heartbeat), or
 * for twice the slowest recent answer when that is longer, up to
 * IN_FLIGHT_WINDOW_MAX_FACTOR windows; a request the leader may park (it
 * asked from the leader's tail) for as long as the leader may hold it on
 * top. With a fixed heartbeat, a loaded leader whose 1 MiB answers took
 * 0.5–1 s was asked for each chunk twice: bench:wire traced 4–6 duplicate
 * chunks per 10 MB, each served, sent and compared entry by entry again.
 */
import type { PeerId } from '../log/ids.js'

export const REQUEST_TTL_MS = 30_000
export const REQUEST_REGISTRY_SOFT_CAP = 256
/** The in-flight window stretches with slow answers up to this many times the caller's. */
export const IN_FLIGHT_WINDOW_MAX_FACTOR = 4
/** Each answer time noted scales the slowest one remembered by this first, so it fades. */
const SLOWEST_ANSWER_DECAY = 0.75

interface Token {
  readonly leader: PeerId
  readonly requestId: bigint
  readonly issuedAt: number
  /** Beyond the seed: where the request reads from, when it was sent ahead of our tail. */
  readonly readAheadFrom?: number
  /** Beyond the seed: a read-ahead chained after another (its start is the leader's to say). */
  readonly chained?: true
  /** Beyond the seed: our log's tail when the request was sent. */
  readonly heldTail?: number
  /** Beyond the seed: how long the leader may hold (park) the request before answering. */
  readonly parkMs?: number
}

/** A live token, as `claim` hands it back. */
export interface ClaimedRequest {
  readonly readAheadFrom?: number
  readonly chained?: true
  /**
   * Our tail when the request was sent: an answer showing the leader's log
   * ending below it is evidence against entries we held then, never
   * against those that arrived later (the leader may have appended them
   * after it read). Undefined when not recorded: no evidence at all.
   */
  readonly heldTail?: number
}

/** What `record` notes beside the token. */
export interface RequestNotes {
  readonly readAhead?: ReadAhead
  readonly heldTail?: number
  /** The request may be parked by the leader for up to this long (it asks from the leader's tail). */
  readonly parkMs?: number
}

/** What kind of read-ahead a request is, if it is one. */
export type ReadAhead = { readonly from: number } | 'chained'

function keyOf(leader: PeerId, requestId: bigint): string {
  return `${leader}\u0000${requestId}`
}

export class OutstandingRequests {
  readonly #tokens = new Map<string, Token>()
  /** Per leader: the slowest recent time to an answer (parked requests aside), fading. */
  readonly #slowestAnswerMs = new Map<PeerId, number>()
  readonly #cap: number
  #evicted = 0

  constructor(cap = REQUEST_REGISTRY_SOFT_CAP) {
    this.#cap = Math.max(1, cap)
  }

  get size(): number {
    return this.#tokens.size
  }

  /** Tokens dropped while still live because the set was full. */
  get evicted(): number {
    return this.#evicted
  }

  record(leader: PeerId, requestId: bigint, now: number, notes: RequestNotes = {}): void {
    if (this.#tokens.size >= this.#cap) {
      for (const [key, token] of this.#tokens) {
        if (now - token.issuedAt >= REQUEST_TTL_MS) this.#tokens.delete(key)
      }
      // Map order is insertion order: the first keys are the oldest.
      for (const key of this.#tokens.keys()) {
        if (this.#tokens.size < this.#cap) break
        this.#tokens.delete(key)
        this.#evicted += 1
      }
    }
    const key = keyOf(leader, requestId)
    this.#tokens.delete(key)
    const { readAhead, heldTail, parkMs } = notes
    this.#tokens.set(key, {
      leader,
      requestId,
      issuedAt: now,
      ...(readAhead === undefined
        ? {}
        : readAhead === 'chained'
          ? { chained: true }
          : { readAheadFrom: readAhead.from }),
      ...(heldTail === undefined ? {} : { heldTail }),
      ...(parkMs === undefined || parkMs <= 0 ? {} : { parkMs }),
    })
  }

  /**
   * Removes the token and reports whether it was live: true means the
   * answer matches a request in flight; false means stale, forged or expired.
   */
  take(leader: PeerId, requestId: bigint, now: number): boolean {
    return this.claim(leader, requestId, now) !== undefined
  }

  /** `take`, handing back the live token (undefined when stale, forged or expired). */
  claim(leader: PeerId, requestId: bigint, now: number): ClaimedRequest | undefined {
    const key = keyOf(leader, requestId)
    const token = this.#tokens.get(key)
    if (token === undefined) return undefined
    this.#tokens.delete(key)
    const age = now - token.issuedAt
    if (age >= REQUEST_TTL_MS) return undefined
    // A parked request's wait says how long the leader had nothing new, not how busy it is.
    if (token.parkMs === undefined) {
      const slowest = (this.#slowestAnswerMs.get(leader) ?? 0) * SLOWEST_ANSWER_DECAY
      this.#slowestAnswerMs.set(leader, Math.max(age, slowest))
    }
    return token
  }

  /** True when a request to `leader` may still be answered (see `inFlight`). */
  hasInFlight(leader: PeerId, now: number, windowMs: number): boolean {
    return this.inFlight(leader, now, windowMs).length > 0
  }

  /**
   * The tokens of requests to `leader` that may still be answered, oldest
   * first: issued less than `windowMs` ago, or less than twice the slowest
   * recent answer from it (at most IN_FLIGHT_WINDOW_MAX_FACTOR × `windowMs`),
   * plus the time the leader may hold a request it parks.
   */
  inFlight(leader: PeerId, now: number, windowMs: number): bigint[] {
    const window = this.answerWindowMs(leader, windowMs)
    const ids: bigint[] = []
    for (const token of this.#tokens.values()) {
      if (token.leader !== leader) continue
      if (now - token.issuedAt < window + (token.parkMs ?? 0)) ids.push(token.requestId)
    }
    return ids
  }

  /** How long a request to `leader` counts as in flight, given the caller's `windowMs`. */
  answerWindowMs(leader: PeerId, windowMs: number): number {
    const slowest = this.#slowestAnswerMs.get(leader) ?? 0
    return Math.min(Math.max(windowMs, 2 * slowest), IN_FLIGHT_WINDOW_MAX_FACTOR * windowMs)
  }

  /** Drops the read-ahead tokens issued to `leader`; returns how many. */
  clearReadAheads(leader: PeerId): number {
    let cleared = 0
    for (const [key, token] of this.#tokens) {
      if (token.leader !== leader) continue
      if (token.readAheadFrom === undefined && token.chained !== true) continue
      this.#tokens.delete(key)
      cleared += 1
    }
    return cleared
  }

  /** Drops every token issued to `leader` (it is no longer the one followed), and its answer times. */
  clearLeader(leader: PeerId): void {
    for (const [key, token] of this.#tokens) {
      if (token.leader === leader) this.#tokens.delete(key)
    }
    this.#slowestAnswerMs.delete(leader)
  }
}
