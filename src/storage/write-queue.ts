/**
 * The one queue every IdbLogStore write goes through, in order. Appends
 * waiting together are handed over as one group (one transaction); any
 * other write (truncate, skip, sweep, outbox) runs alone, between groups.
 * Once the store is closed, what is still queued fails with ClosedError.
 */
import { ClosedError } from '../core/errors.js'
import type { Entry } from '../core/log/entry.js'
import type { EntryRun } from '../core/log/entry-run.js'
import type { ChannelId } from '../core/log/ids.js'
import type { ChannelState } from '../core/log/log-store.js'
import type { MeshlogDb } from './idb-schema.js'

export interface AppendOp {
  readonly kind: 'append'
  readonly channel: ChannelId
  /** Entries to pack, or a run packed already (checked when the group commits). */
  readonly batch: readonly Entry[] | EntryRun
  resolve(state: ChannelState): void
  reject(error: unknown): void
}

interface ExclusiveOp {
  readonly kind: 'exclusive'
  run(db: MeshlogDb): Promise<void>
  resolve(): void
  reject(error: unknown): void
}

type WriteOp = AppendOp | ExclusiveOp

export interface WriteQueueOptions {
  /** The open database, or undefined once the store is closed. */
  readonly db: () => MeshlogDb | undefined
  /** Commits a group of appends; settles each op itself. */
  readonly commitAppends: (db: MeshlogDb, group: AppendOp[]) => Promise<void>
  /** Most appends handed over in one group. */
  readonly maxGroupAppends: number
}

export class WriteQueue {
  readonly #options: WriteQueueOptions
  readonly #queue: WriteOp[] = []
  #draining: Promise<void> | undefined

  constructor(options: WriteQueueOptions) {
    this.#options = options
  }

  /** Settles once the queue ran empty (at once when it is). */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining
  }

  append(channel: ChannelId, batch: readonly Entry[] | EntryRun): Promise<ChannelState> {
    return new Promise((resolve, reject) => {
      this.#enqueue({ kind: 'append', channel, batch, resolve, reject })
    })
  }

  /** Runs `run` alone, after every write queued before it. */
  exclusive<T>(run: (db: MeshlogDb) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let result: T
      this.#enqueue({
        kind: 'exclusive',
        run: async (db) => {
          result = await run(db)
        },
        resolve: () => resolve(result),
        reject,
      })
    })
  }

  #enqueue(op: WriteOp): void {
    this.#queue.push(op)
    this.#draining ??= this.#drain()
  }

  /** Serves the queue until it is empty; `#draining` is cleared in the same turn it empties. */
  async #drain(): Promise<void> {
    try {
      // Yield once so appends made in the same turn join one group.
      await Promise.resolve()
      for (let head = this.#queue[0]; head !== undefined; head = this.#queue[0]) {
        const db = this.#options.db()
        if (db === undefined) {
          for (const op of this.#queue.splice(0))
            op.reject(new ClosedError('the log store was closed'))
          return
        }
        if (head.kind === 'exclusive') {
          this.#queue.shift()
          await head.run(db).then(head.resolve, head.reject)
          continue
        }
        let n = 0
        while (n < this.#options.maxGroupAppends && this.#queue[n]?.kind === 'append') n++
        await this.#options.commitAppends(db, this.#queue.splice(0, n) as AppendOp[])
      }
    } finally {
      this.#draining = undefined
    }
  }
}
