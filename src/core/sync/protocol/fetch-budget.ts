/**
 * The initiators' fetch budget: a token bucket of payload bytes, refilled at
 * a steady rate on the injected clock and holding at most `burstBytes`, so
 * catching up from a neighbour uses the link the way the replication
 * runtime's background class does: steadily, never as one burst. Sessions
 * take tokens before each fetch, in arrival order, and give back what the
 * chunk did not use. A take larger than the bucket waits for a full bucket
 * and empties it, rather than waiting forever.
 */
import { describeValue, InvalidArgumentError } from '../../errors.js'
import { type Clock, sleep } from '../../time/clock.js'

export interface FetchBudgetOptions {
  readonly clock: Clock
  readonly bytesPerSecond: number
  readonly burstBytes: number
}

export class FetchBudget {
  readonly bytesPerSecond: number
  readonly burstBytes: number
  readonly #clock: Clock
  #available: number
  #refilledAt: number
  #queue: Promise<void> = Promise.resolve()
  #waitedMs = 0

  constructor(options: FetchBudgetOptions) {
    for (const key of ['bytesPerSecond', 'burstBytes'] as const) {
      const value = options[key]
      if (!Number.isFinite(value) || value <= 0) {
        throw new InvalidArgumentError(`${key} must be a positive number`, {
          details: { [key]: describeValue(value) },
        })
      }
    }
    this.#clock = options.clock
    this.bytesPerSecond = options.bytesPerSecond
    this.burstBytes = options.burstBytes
    this.#available = options.burstBytes
    this.#refilledAt = options.clock.now()
  }

  /** Whole bytes available now. */
  available(): number {
    this.#refill()
    return Math.floor(this.#available)
  }

  /** Clock milliseconds takes have spent waiting for tokens, in total. */
  get waitedMs(): number {
    return this.#waitedMs
  }

  /**
   * Resolves once `bytes` (capped at the bucket size) are taken. Takes are
   * served in order; an aborted take leaves the queue without taking.
   */
  take(bytes: number, signal: AbortSignal): Promise<void> {
    const want = Math.min(Math.max(0, bytes), this.burstBytes)
    const turn = this.#queue.then(() => this.#takeWhenAvailable(want, signal))
    this.#queue = turn.catch(() => {})
    return turn
  }

  /** Gives back bytes a take did not use. */
  refund(bytes: number): void {
    if (bytes <= 0) return
    this.#refill()
    this.#available = Math.min(this.burstBytes, this.#available + bytes)
  }

  async #takeWhenAvailable(want: number, signal: AbortSignal): Promise<void> {
    for (;;) {
      if (signal.aborted) throw signal.reason
      this.#refill()
      if (this.#available >= want) {
        this.#available -= want
        return
      }
      const waitMs = Math.ceil(((want - this.#available) * 1000) / this.bytesPerSecond)
      const started = this.#clock.now()
      await sleep(this.#clock, waitMs, signal)
      this.#waitedMs += this.#clock.now() - started
    }
  }

  #refill(): void {
    const now = this.#clock.now()
    const elapsed = now - this.#refilledAt
    if (elapsed <= 0) return
    this.#available = Math.min(
      this.burstBytes,
      this.#available + (elapsed * this.bytesPerSecond) / 1000,
    )
    this.#refilledAt = now
  }
}
