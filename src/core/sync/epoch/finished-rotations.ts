/**
 * A bounded memory of rotations that ended here, oldest forgotten first, so
 * frames that arrive after the end are answered (a repeated confirmation
 * gets the commit again) or judged (a late commit for a rotation we
 * confirmed) instead of dropped as unknown.
 */
import type { PeerId } from '../../log/ids.js'
import type { EpochWireFrame } from '../../wire/sync-frame-codec.js'

export interface FinishedRotation {
  readonly outcome: 'committed' | 'aborted'
  /** Sent back to whoever repeats a frame of this rotation. */
  readonly answer: EpochWireFrame | undefined
  /** A participant's rotation: the epoch and set it confirmed, and whether it aborted over a bad frame. */
  readonly confirmed?: { readonly epoch: number; readonly replicaSet: readonly PeerId[] }
  readonly invalid?: boolean
}

/** A rotation this peer took part in, named by its coordinator and id. */
export const participantKey = (coordinator: PeerId, rotationId: bigint) =>
  `p\n${coordinator}\n${rotationId}`
/** A rotation this peer coordinated. */
export const coordinatorKey = (rotationId: bigint) => `c\n${rotationId}`

export class FinishedRotations {
  readonly #entries = new Map<string, FinishedRotation>()
  readonly #capacity: number

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  get(key: string): FinishedRotation | undefined {
    return this.#entries.get(key)
  }

  remember(key: string, finished: FinishedRotation): void {
    this.#entries.delete(key)
    this.#entries.set(key, finished)
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#capacity) break
      this.#entries.delete(oldest)
    }
  }
}
