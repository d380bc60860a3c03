/**
 * When a peer next forwards its outbox to the leader. After a forward that
 * brought no commit, the wait doubles (from one heartbeat up to
 * FORWARD_BACKOFF_CAP_BEATS), with jitter so peers that lost the same
 * leader do not all re-send in the same beat. Any commit seen, or a new
 * leader, makes the next forward due at once.
 */
import type { PeerId } from '../log/ids.js'
import type { Rng } from '../random/rng.js'

export const FORWARD_BACKOFF_CAP_BEATS = 8

export class ForwardSchedule {
  readonly #heartbeatMs: number
  #dueAt = 0
  #waitMs: number
  #leader: PeerId | undefined

  constructor(heartbeatMs: number) {
    this.#heartbeatMs = heartbeatMs
    this.#waitMs = heartbeatMs
  }

  /** True when a forward to `leader` may go now (a new leader is always due). */
  isDue(leader: PeerId, now: number): boolean {
    if (leader !== this.#leader) {
      this.#leader = leader
      this.progress()
    }
    return now >= this.#dueAt
  }

  /** A forward went out: wait before the next, longer each time. */
  sent(now: number, rng: Rng): void {
    const jitter = 0.5 + rng.int(0, 1000) / 2000
    this.#dueAt = now + Math.round(this.#waitMs * jitter)
    this.#waitMs = Math.min(this.#waitMs * 2, this.#heartbeatMs * FORWARD_BACKOFF_CAP_BEATS)
  }

  /** A forwarded write was seen committed, or the leader changed. */
  progress(): void {
    this.#dueAt = 0
    this.#waitMs = this.#heartbeatMs
  }
}
