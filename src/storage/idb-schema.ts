/**
 * The IndexedDB layout of one peer slot's database, and how each version
 * upgrades from the one before. IndexedDB's own version number is the
 * schema version; `upgradeSchema` runs every step between the stored version
 * and the current one, inside the versionchange transaction.
 *
 * v1: `channels` (per-channel state), `segments` (packed runs of entries,
 *     keyed [channel, firstSeq]), `outbox` (offline writes, keyed
 *     [channel, author, authorSeq]).
 * v2: `author-marks` (per-author high-water marks the leader dedupes
 *     forwarded writes with, keyed [channel, author]); `meta` (format facts).
 * v3: author marks are kept in step with the log from now on; a database
 *     written before holds a log but no marks, so the step leaves a note
 *     (`meta` `author-marks` = `rebuild`) and the store rebuilds them from
 *     the stored segments at its next open. Outbox records may carry a
 *     `signature`, and with it a `groupProof` (writes signed in a group).
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb'
import type { SegmentRecord } from '../core/log/segment-codec.js'

export const SCHEMA_VERSION = 3
/** The `meta` key whose value `rebuild` asks the store to rebuild author marks. */
export const AUTHOR_MARKS_META_KEY = 'author-marks'

export interface ChannelRecord {
  readonly channel: string
  readonly firstSeq: number
  readonly nextSeq: number
  readonly lastHash: Uint8Array
  readonly anchored: boolean
  readonly payloadBytes: number
  readonly retention: { readonly maxEntries?: number; readonly maxBytes?: number }
}

export interface OutboxRecord {
  readonly channel: string
  readonly author: string
  readonly authorSeq: number
  readonly payload: Uint8Array
  readonly signature?: Uint8Array
  readonly groupProof?: Uint8Array
  readonly createdAt: number
}

export interface AuthorMarkRecord {
  readonly channel: string
  readonly author: string
  /** Highest authorSeq committed for this author. */
  readonly authorSeq: number
}

export interface MeshlogDbSchema extends DBSchema {
  channels: { key: string; value: ChannelRecord }
  segments: { key: [string, number]; value: SegmentRecord }
  outbox: { key: [string, string, number]; value: OutboxRecord }
  'author-marks': { key: [string, string]; value: AuthorMarkRecord }
  meta: { key: string; value: { key: string; value: unknown } }
}

export type MeshlogDb = IDBPDatabase<MeshlogDbSchema>

/**
 * Every key of a channel in a store keyed [channel, ...] (segments, the
 * outbox, author marks): arrays sort after every number and string.
 */
export function channelKeys(channel: string): IDBKeyRange {
  return IDBKeyRange.bound([channel], [channel, []])
}
type UpgradeTransaction = IDBPTransaction<
  MeshlogDbSchema,
  StoreNames<MeshlogDbSchema>[],
  'versionchange'
>

const STEPS: Record<number, (db: MeshlogDb, tx: UpgradeTransaction) => void> = {
  1(db) {
    db.createObjectStore('channels', { keyPath: 'channel' })
    db.createObjectStore('segments', { keyPath: ['channel', 'firstSeq'] })
    db.createObjectStore('outbox', { keyPath: ['channel', 'author', 'authorSeq'] })
  },
  2(db, tx) {
    db.createObjectStore('author-marks', { keyPath: ['channel', 'author'] })
    db.createObjectStore('meta', { keyPath: 'key' })
    void tx.objectStore('meta').put({ key: 'segment-format', value: 1 })
  },
  3(_db, tx) {
    void tx.objectStore('meta').put({ key: AUTHOR_MARKS_META_KEY, value: 'rebuild' })
  },
}

/** Runs the upgrade steps (oldVersion, newVersion]. */
export function upgradeSchema(
  db: MeshlogDb,
  oldVersion: number,
  newVersion: number,
  tx: UpgradeTransaction,
): void {
  for (let version = oldVersion + 1; version <= newVersion; version++) {
    const step = STEPS[version]
    if (step === undefined) throw new RangeError(`no schema step for version ${version}`)
    step(db, tx)
  }
}
