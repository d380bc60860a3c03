/**
 * The strict readwrite transactions every IdbLogStore write runs in: one
 * over the log's stores (segments, channel records, author marks) and one
 * over the outbox. Each waits until the transaction is durable, aborts it
 * when its body throws so nothing it queued is written, and reports the
 * failure as a StorageError (StorageFullError for quota).
 */
import type { IDBPObjectStore, IDBPTransaction } from 'idb'
import { toStorageError } from './idb-errors.js'
import type { MeshlogDb, MeshlogDbSchema } from './idb-schema.js'

export type LogStores = ('segments' | 'channels' | 'author-marks')[]
const LOG_STORES: LogStores = ['segments', 'channels', 'author-marks']
export type LogTx = IDBPTransaction<MeshlogDbSchema, LogStores, 'readwrite'>
export type SegmentStore = IDBPObjectStore<MeshlogDbSchema, LogStores, 'segments', 'readwrite'>
export type OutboxStore = IDBPObjectStore<MeshlogDbSchema, 'outbox'[], 'outbox', 'readwrite'>

export const STRICT = { durability: 'strict' } as const
const WRITE_REFUSAL_RETRIES = 6

function isWriteRefusal(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'InvalidStateError'
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort()
  } catch {
    // already finished or aborted
  }
}

/**
 * Runs `body` in one strict readwrite transaction over the log's stores and
 * waits for it to be durable. `body` queues its requests' promises on
 * `work`. Firefox refuses writes for a moment after a quota failure
 * (InvalidStateError, "did not allow mutations"); such a refusal is retried
 * a few times.
 */
export async function logTransaction<T>(
  db: MeshlogDb,
  label: string,
  body: (tx: LogTx, work: Promise<unknown>[]) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const tx = db.transaction(LOG_STORES, 'readwrite', STRICT)
    const work: Promise<unknown>[] = []
    let result: T
    try {
      result = await body(tx, work)
    } catch (error) {
      abortQuietly(tx)
      await Promise.allSettled([...work, tx.done])
      if (isWriteRefusal(error) && attempt < WRITE_REFUSAL_RETRIES) {
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt))
        continue
      }
      throw toStorageError(error, { channel: label })
    }
    try {
      await Promise.all([...work, tx.done])
    } catch (error) {
      // The request that failed first may only say "aborted"; the cause is on the transaction.
      throw toStorageError(tx.error ?? error, { channel: label })
    }
    return result
  }
}

/** One strict transaction on the outbox; `body` queues its writes' promises on `work`. */
export async function outboxTransaction<T>(
  db: MeshlogDb,
  channel: string,
  body: (store: OutboxStore, work: Promise<unknown>[]) => Promise<T> | T,
): Promise<T> {
  const tx = db.transaction(['outbox'], 'readwrite', STRICT)
  const work: Promise<unknown>[] = []
  try {
    const result = await body(tx.objectStore('outbox'), work)
    await Promise.all([...work, tx.done])
    return result
  } catch (error) {
    abortQuietly(tx)
    await Promise.allSettled([...work, tx.done])
    throw toStorageError(tx.error ?? error, { channel, op: 'outbox' })
  }
}
