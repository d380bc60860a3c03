/**
 * Holds the current snapshot and fires the `snapshot` event at most once
 * per interval: a snapshot published inside the interval is delivered by
 * one trailing emit at its end, carrying whatever is latest by then.
 */
import type { Cancel, Clock } from '../time/clock.js'
import type { ControlSnapshot } from './control-snapshot.js'

export class SnapshotPublisher {
  readonly #clock: Clock
  readonly #minIntervalMs: number
  readonly #emit: (snapshot: ControlSnapshot) => void
  #current: ControlSnapshot
  #lastEmitAt: number | undefined
  #cancelTrailing: Cancel | undefined

  constructor(
    clock: Clock,
    minIntervalMs: number,
    initial: ControlSnapshot,
    emit: (snapshot: ControlSnapshot) => void,
  ) {
    this.#clock = clock
    this.#minIntervalMs = minIntervalMs
    this.#current = initial
    this.#emit = emit
  }

  get current(): ControlSnapshot {
    return this.#current
  }

  /** Swaps in `snapshot` (one assignment) and schedules its event. */
  publish(snapshot: ControlSnapshot): void {
    this.#current = snapshot
    if (this.#cancelTrailing !== undefined) return
    const now = this.#clock.now()
    const since = this.#lastEmitAt === undefined ? Number.POSITIVE_INFINITY : now - this.#lastEmitAt
    if (since >= this.#minIntervalMs) this.#fire()
    else
      this.#cancelTrailing = this.#clock.setTimer(this.#minIntervalMs - since, () => this.#fire())
  }

  /** Swaps in `snapshot` without an event (the loop's final picture at exit). */
  replace(snapshot: ControlSnapshot): void {
    this.#current = snapshot
  }

  /** Drops a pending trailing emit. */
  cancel(): void {
    this.#cancelTrailing?.()
    this.#cancelTrailing = undefined
  }

  #fire(): void {
    this.#cancelTrailing = undefined
    this.#lastEmitAt = this.#clock.now()
    this.#emit(this.#current)
  }
}
