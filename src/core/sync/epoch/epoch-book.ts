/**
 * The epoch and replica set this peer holds for each channel, and the
 * ordered application of commits: a commit is recorded at once (so the next
 * proposal is judged against it) and applied through `onCommit` after the
 * channel's earlier commits, so two quick rotations never reopen a runtime
 * out of order. A failing apply is logged and counted, never thrown.
 */
import type { ChannelId, PeerId } from '../../log/ids.js'
import type { Logger } from '../../logger.js'
import type { EpochRole } from './epoch-errors.js'

export interface EpochRecord {
  readonly epoch: number
  readonly replicaSet: readonly PeerId[]
}

export interface EpochCommitted extends EpochRecord {
  readonly channel: ChannelId
  readonly rotationId: bigint
  /** `observer`: applied from a commit without a running participant. */
  readonly role: EpochRole | 'observer'
}

export class EpochBook {
  readonly #records = new Map<ChannelId, EpochRecord>()
  readonly #applying = new Map<ChannelId, Promise<void>>()
  readonly #onCommit: (commit: EpochCommitted) => void | Promise<void>
  readonly #logger: Logger
  #applyFailures = 0

  constructor(onCommit: (commit: EpochCommitted) => void | Promise<void>, logger: Logger) {
    this.#onCommit = onCommit
    this.#logger = logger
  }

  get applyFailures(): number {
    return this.#applyFailures
  }

  get(channel: ChannelId): EpochRecord | undefined {
    return this.#records.get(channel)
  }

  set(channel: ChannelId, record: EpochRecord): void {
    this.#records.set(channel, { epoch: record.epoch, replicaSet: [...record.replicaSet] })
  }

  /** Records `committed` now; resolves once it (and every earlier commit of its channel) was applied. */
  commit(committed: EpochCommitted): Promise<void> {
    const { channel } = committed
    this.set(channel, committed)
    const previous = this.#applying.get(channel) ?? Promise.resolve()
    const applied = previous
      .then(() => this.#onCommit(committed))
      .catch((error: unknown) => {
        this.#applyFailures++
        this.#logger.error('a committed epoch could not be applied', {
          channel,
          epoch: committed.epoch,
          error: String(error),
        })
      })
    this.#applying.set(channel, applied)
    void applied.then(() => {
      if (this.#applying.get(channel) === applied) this.#applying.delete(channel)
    })
    return applied
  }

  /** Resolves once every commit recorded so far was applied. */
  async drain(): Promise<void> {
    await Promise.all(this.#applying.values())
  }
}
