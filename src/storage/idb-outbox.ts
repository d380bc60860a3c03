/**
 * The outbox of an IdbLogStore: a channel's writes not yet seen committed
 * in its order, one record per `(channel, author, authorSeq)`, each stored
 * in a strict transaction of its own. How many each channel holds is kept
 * in memory (counted at open), so `size` is synchronous and a full outbox
 * refuses a write before touching IndexedDB.
 */
import { compareWriteKeys } from '../core/log/author-marks.js'
import { authorProofOf } from '../core/log/entry.js'
import type { ChannelId, PeerId } from '../core/log/ids.js'
import { OutboxFullError } from '../core/log/log-errors.js'
import type { OutboxEntry, PutOutboxOptions, WriteKey } from '../core/log/log-store.js'
import { toStorageError } from './idb-errors.js'
import { channelKeys, type MeshlogDb, type OutboxRecord } from './idb-schema.js'
import { outboxTransaction } from './idb-transaction.js'

function toOutboxRecord(channel: ChannelId, entry: OutboxEntry, createdAt: number): OutboxRecord {
  const record = {
    channel,
    author: entry.author,
    authorSeq: entry.authorSeq,
    payload: entry.payload.slice(),
    createdAt,
  }
  return { ...record, ...authorProofOf(entry, (bytes) => bytes.slice()) }
}

function fromOutboxRecord(record: OutboxRecord): OutboxEntry {
  const entry = {
    author: record.author as PeerId,
    authorSeq: record.authorSeq,
    payload: record.payload,
  }
  return { ...entry, ...authorProofOf(record) }
}

function sameKey(a: WriteKey, b: WriteKey): boolean {
  return a.author === b.author && a.authorSeq === b.authorSeq
}

export class IdbOutbox {
  readonly #capacity: number
  #sizes = new Map<ChannelId, number>()

  constructor(capacity: number) {
    this.#capacity = capacity
  }

  /** Counts the records per channel from the outbox's keys, read at open. */
  load(keys: readonly (readonly [string, ...unknown[]])[]): void {
    this.#sizes = new Map()
    for (const [channel] of keys) {
      const id = channel as ChannelId
      this.#sizes.set(id, (this.#sizes.get(id) ?? 0) + 1)
    }
  }

  size(channel: ChannelId): number {
    return this.#sizes.get(channel) ?? 0
  }

  async list(db: MeshlogDb, channel: ChannelId): Promise<OutboxEntry[]> {
    const records = await db.getAll('outbox', channelKeys(channel)).catch((error: unknown) => {
      throw toStorageError(error, { channel, op: 'outbox' })
    })
    return records.map(fromOutboxRecord).sort(compareWriteKeys)
  }

  /** Stores the entries not held yet; refuses with OutboxFullError past capacity unless forced. */
  async put(
    db: MeshlogDb,
    channel: ChannelId,
    entries: readonly OutboxEntry[],
    options: PutOutboxOptions,
  ): Promise<void> {
    const size = await outboxTransaction(db, channel, async (store, work) => {
      const fresh: OutboxEntry[] = []
      for (const entry of entries) {
        const key: [string, string, number] = [channel, entry.author, entry.authorSeq]
        if ((await store.getKey(key)) === undefined && !fresh.some((f) => sameKey(f, entry)))
          fresh.push(entry)
      }
      const held = this.size(channel)
      const capacity = this.#capacity
      if (options.force !== true && held + fresh.length > capacity) {
        throw new OutboxFullError('the outbox is full', {
          details: { channel, held, adding: fresh.length, capacity },
        })
      }
      const now = Date.now()
      for (const entry of fresh) work.push(store.put(toOutboxRecord(channel, entry, now)))
      return held + fresh.length
    })
    this.#sizes.set(channel, size)
  }

  async remove(db: MeshlogDb, channel: ChannelId, keys: readonly WriteKey[]): Promise<void> {
    const size = await outboxTransaction(db, channel, async (store, work) => {
      for (const key of keys) work.push(store.delete([channel, key.author, key.authorSeq]))
      return store.count(channelKeys(channel))
    })
    this.#setSize(channel, size)
  }

  async deleteChannel(db: MeshlogDb, channel: ChannelId): Promise<void> {
    await outboxTransaction(db, channel, (store) => [store.delete(channelKeys(channel))])
    this.#setSize(channel, 0)
  }

  #setSize(channel: ChannelId, size: number): void {
    if (size === 0) this.#sizes.delete(channel)
    else this.#sizes.set(channel, size)
  }
}
