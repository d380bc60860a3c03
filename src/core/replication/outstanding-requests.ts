/**
 * seed 001: the replica's in-flight SyncRequests, keyed by
 * `(leader, requestId)`. A SyncResponse or SyncNack is acted on only if it
 * echoes a token still in here, so a stale answer (to a request already
 * re-issued) or a forged one cannot reach the apply path.
 *
 * Tokens expire after REQUEST_TTL_MS. The set stays bounded: at the soft
 * cap an insert first drops expired tokens and then, if still full, the
 * oldest ones (counted in `evicted`).
 */
import type { PeerId } from '../log/ids.js'

export const REQUEST_TTL_MS = 30_000
export const REQUEST_REGISTRY_SOFT_CAP = 256

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
}

/** What kind of read-ahead a request is, if it is one. */
export type ReadAhead = { readonly from: number } | 'chained'

function keyOf(leader: PeerId, requestId: bigint): string {
  return `${leader}\u0000${requestId}`
}

export class OutstandingRequests {
  readonly #tokens = new Map<string, Token>()
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
    const { readAhead, heldTail } = notes
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
    return now - token.issuedAt < REQUEST_TTL_MS ? token : undefined
  }

  /** True when a request to `leader` was issued less than `windowMs` ago. */
  hasInFlight(leader: PeerId, now: number, windowMs: number): boolean {
    return this.inFlight(leader, now, windowMs).length > 0
  }

  /** The tokens of requests to `leader` issued less than `windowMs` ago, oldest first. */
  inFlight(leader: PeerId, now: number, windowMs: number): bigint[] {
    const ids: bigint[] = []
    for (const token of this.#tokens.values()) {
      if (token.leader === leader && now - token.issuedAt < windowMs) ids.push(token.requestId)
    }
    return ids
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

  /** Drops every token issued to `leader` (it is no longer the one followed). */
  clearLeader(leader: PeerId): void {
    for (const [key, token] of this.#tokens) {
      if (token.leader === leader) this.#tokens.delete(key)
    }
  }
}
