/** IdbLogStore's options, their defaults and the metrics it reports. */
import { MAX_AUTHOR_MARKS_DEFAULT, OUTBOX_CAPACITY_DEFAULT } from '../core/log/author-marks.js'
import type { EntryHasher } from '../core/log/entry-hasher.js'

/** Bytes of recently written segment records kept in memory for reads (8 MiB). */
export const RECENT_SEGMENT_BYTES_DEFAULT = 8 << 20

export interface IdbLogStoreOptions {
  /** One database per peer slot, e.g. `meshlog-slot-0`. */
  readonly databaseName: string
  readonly hasher?: EntryHasher
  /** Largest segment written, in entries (default 4096). */
  readonly maxSegmentEntries?: number
  /** Largest segment written, in payload bytes (default 1 MiB). */
  readonly maxSegmentBytes?: number
  /**
   * Segments smaller than this many entries (default 256) at a channel's
   * end are merged with the next append when that append is as small, as a
   * binary counter carries (see segment-writer.ts), so one-entry appends do
   * not leave one record per entry behind.
   */
  readonly mergeBelowEntries?: number
  /** As `mergeBelowEntries`, in payload bytes (default 64 KiB). */
  readonly mergeBelowBytes?: number
  /** Most appends committed in one transaction (default 4096). */
  readonly maxGroupAppends?: number
  /** Authors whose high-water mark is kept per channel (default 65 536). */
  readonly maxAuthorMarks?: number
  /** Pending writes per channel's outbox (default 10 000). */
  readonly outboxCapacity?: number
  /**
   * Bytes of the segment records this store wrote last, kept in memory so
   * reads of the newest entries skip IndexedDB (default 8 MiB; 0 turns it off).
   */
  readonly recentSegmentBytes?: number
}

export interface IdbLogStoreMetrics {
  /** Readwrite transactions committed. */
  readonly transactions: number
  /** Append calls made durable. */
  readonly appendsCommitted: number
  /** Most append calls one transaction carried. */
  readonly largestGroup: number
  /** Commits that merged small tail segments into one record. */
  readonly segmentMerges: number
  /** Segment records a read took from memory (recently written), not from IndexedDB. */
  readonly recentSegmentHits: number
}

export type ResolvedStoreOptions = Required<Omit<IdbLogStoreOptions, 'hasher' | 'databaseName'>>

export function resolveStoreOptions(options: IdbLogStoreOptions): ResolvedStoreOptions {
  return {
    maxSegmentEntries: options.maxSegmentEntries ?? 4096,
    maxSegmentBytes: options.maxSegmentBytes ?? 1 << 20,
    mergeBelowEntries: options.mergeBelowEntries ?? 256,
    mergeBelowBytes: options.mergeBelowBytes ?? 64 << 10,
    maxGroupAppends: options.maxGroupAppends ?? 4096,
    maxAuthorMarks: options.maxAuthorMarks ?? MAX_AUTHOR_MARKS_DEFAULT,
    outboxCapacity: options.outboxCapacity ?? OUTBOX_CAPACITY_DEFAULT,
    recentSegmentBytes: options.recentSegmentBytes ?? RECENT_SEGMENT_BYTES_DEFAULT,
  }
}
