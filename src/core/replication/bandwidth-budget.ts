/**
 * The leader's outbound catch-up budget: a token bucket refilled at
 * `fraction × peakBytesPerSecond`, holding at most one second of tokens so a
 * long idle spell cannot bank a burst that saturates the link. The leader
 * consults it before shipping each SyncResponse and NACKs `backpressure`
 * when it cannot admit the chunk.
 *
 * Classes: `foreground` takes whatever is available. `background` is
 * admitted only if `(1 - backgroundFraction) × capacity` stays in the bucket
 * afterwards, keeping headroom for foreground catch-up; a background request
 * denied for longer than the starve window is admitted once anyway, so a
 * steady foreground load cannot starve it forever.
 */
import type { BandwidthClass } from './messages.js'

/** Share of the bucket `background` may use (the rest is reserved). */
export const BACKGROUND_FRACTION_DEFAULT = 0.3
/** After this long without a background admission, one is forced through. */
export const BACKGROUND_STARVE_WINDOW_MS_DEFAULT = 60_000

export interface BandwidthBudgetOptions {
  /** Share of the link this channel's catch-up may use, clamped to (0, 1]. */
  readonly fraction: number
  /** Measured peak of the link, bytes per second. */
  readonly peakBytesPerSecond: number
  /** Clock time the bucket starts (full) at, ms. */
  readonly now: number
  readonly backgroundStarveWindowMs?: number
}

function clampFraction(fraction: number): number {
  if (!Number.isFinite(fraction) || fraction <= 0) return Number.EPSILON
  return Math.min(1, fraction)
}

export class BandwidthBudget {
  readonly capacityBytes: number
  readonly refillBytesPerSecond: number
  readonly #starveWindowMs: number
  #available: number
  #lastRefill: number
  #lastBackgroundAdmission: number

  constructor(options: BandwidthBudgetOptions) {
    this.refillBytesPerSecond =
      Math.max(0, options.peakBytesPerSecond) * clampFraction(options.fraction)
    this.capacityBytes = this.refillBytesPerSecond
    this.#available = this.capacityBytes
    this.#lastRefill = options.now
    // Start the starve clock at construction, not at "never": the first
    // background request must meet the reserve like any other.
    this.#lastBackgroundAdmission = options.now
    this.#starveWindowMs = options.backgroundStarveWindowMs ?? BACKGROUND_STARVE_WINDOW_MS_DEFAULT
  }

  /** Whole bytes currently available. */
  availableBytes(now?: number): number {
    if (now !== undefined) this.refill(now)
    return Math.floor(Math.max(0, this.#available))
  }

  refill(now: number): void {
    const elapsed = now - this.#lastRefill
    if (elapsed <= 0) return
    this.#available = Math.min(
      this.capacityBytes,
      this.#available + (this.refillBytesPerSecond * elapsed) / 1000,
    )
    this.#lastRefill = now
  }

  /**
   * Takes `bytes` from the bucket if `bandwidthClass` may have them now.
   * Returns false, leaving the bucket untouched, when it may not.
   */
  tryConsume(
    bytes: number,
    bandwidthClass: BandwidthClass,
    now: number,
    backgroundFraction: number = BACKGROUND_FRACTION_DEFAULT,
  ): boolean {
    if (bytes <= 0) return true
    this.refill(now)
    if (bandwidthClass === 'foreground') {
      if (this.#available >= bytes) {
        this.#available -= bytes
        return true
      }
      // One chunk bigger than a whole second of budget could never be
      // afforded; admit it once from a full bucket rather than deadlock.
      if (bytes > this.capacityBytes && this.#available >= this.capacityBytes) {
        this.#available = 0
        return true
      }
      return false
    }
    const reserve = Math.max(0, 1 - backgroundFraction) * this.capacityBytes
    if (this.#available >= bytes && this.#available - bytes >= reserve) {
      this.#available -= bytes
      this.#lastBackgroundAdmission = now
      return true
    }
    if (now - this.#lastBackgroundAdmission > this.#starveWindowMs) {
      this.#available = Math.max(0, this.#available - bytes)
      this.#lastBackgroundAdmission = now
      return true
    }
    return false
  }

  /**
   * Gives back bytes taken for a send that failed synchronously, so a flaky
   * link does not drain the bucket into permanent backpressure. Floors the
   * balance first so fractional refill cannot compound across refunds.
   */
  refund(bytes: number): void {
    if (bytes <= 0) return
    this.#available = Math.min(this.capacityBytes, Math.floor(Math.max(0, this.#available)) + bytes)
  }
}
