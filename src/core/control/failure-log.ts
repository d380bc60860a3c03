/**
 * Dispatches that failed: actions the executor could not carry out
 * (reported as `action-failed`) and the loop's own dispatches (abort-sync).
 * A bounded ring with its own monotonic seq, so one dedupe gate covers both
 * writers.
 */
import { RecentRing } from './recent-ring.js'

export interface FailureRecord {
  readonly seq: number
  /** What failed, e.g. `start-runtime:chat` or `abort-sync:chat`. */
  readonly source: string
  readonly reason: string
  readonly recordedAtMs: number
}

export class FailureLog {
  readonly #ring: RecentRing<FailureRecord>
  #seq = 0

  constructor(capacity: number) {
    this.#ring = new RecentRing(capacity)
  }

  record(source: string, reason: string, recordedAtMs: number): FailureRecord {
    this.#seq++
    const record = Object.freeze({ seq: this.#seq, source, reason, recordedAtMs })
    this.#ring.push(record)
    return record
  }

  entries(): FailureRecord[] {
    return this.#ring.toArray()
  }
}
