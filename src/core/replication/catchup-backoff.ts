/**
 * seed 001: per-leader catch-up backoff. A leader that keeps
 * advertising a tail ahead of ours but answers with empty chunks (buggy or
 * byzantine) would otherwise be asked again every heartbeat forever. The
 * first CATCHUP_BACKOFF_THRESHOLD empty answers are absorbed; each one after
 * that opens a window, doubling from 1 s up to 30 s, during which no
 * SyncRequest goes to that leader. Any progress clears the leader's entry.
 */
import type { PeerId } from '../log/ids.js'

export const CATCHUP_BACKOFF_THRESHOLD = 3
export const CATCHUP_BACKOFF_INITIAL_MS = 1_000
export const CATCHUP_BACKOFF_CAP_MS = 30_000

interface BackoffEntry {
  consecutiveEmpty: number
  backoffUntil: number | undefined
}

export class CatchupBackoff {
  readonly #entries = new Map<PeerId, BackoffEntry>()

  get size(): number {
    return this.#entries.size
  }

  recordEmpty(leader: PeerId, now: number): void {
    const entry = this.#entries.get(leader) ?? { consecutiveEmpty: 0, backoffUntil: undefined }
    entry.consecutiveEmpty += 1
    if (entry.consecutiveEmpty > CATCHUP_BACKOFF_THRESHOLD) {
      const doublings = Math.min(20, entry.consecutiveEmpty - CATCHUP_BACKOFF_THRESHOLD - 1)
      const backoffMs = Math.min(
        CATCHUP_BACKOFF_INITIAL_MS * 2 ** doublings,
        CATCHUP_BACKOFF_CAP_MS,
      )
      entry.backoffUntil = now + backoffMs
    }
    this.#entries.set(leader, entry)
  }

  recordProgress(leader: PeerId): void {
    this.#entries.delete(leader)
  }

  isInBackoff(leader: PeerId, now: number): boolean {
    const until = this.#entries.get(leader)?.backoffUntil
    return until !== undefined && now < until
  }

  /** Consecutive empty answers recorded for `leader`. */
  strikes(leader: PeerId): number {
    return this.#entries.get(leader)?.consecutiveEmpty ?? 0
  }

  /**
   * Forgets leaders whose window ended more than `graceMs` ago: a demoted
   * leader never sees `recordProgress` again. Below-threshold entries stay,
   * they are still counting.
   */
  gcExpired(now: number, graceMs: number): void {
    for (const [leader, entry] of this.#entries) {
      if (entry.backoffUntil !== undefined && now - entry.backoffUntil >= graceMs) {
        this.#entries.delete(leader)
      }
    }
  }
}
