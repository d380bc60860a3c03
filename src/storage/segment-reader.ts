/**
 * Reads a range of a channel out of its segment records: from memory when
 * this store wrote them lately (RecentSegments), else from IndexedDB a
 * window of records per getAll. Every record must chain onto the one before
 * and, when it comes from IndexedDB, pass its checksum.
 */
import { equals } from 'uint8arrays/equals'
import type { EntryHasher } from '../core/log/entry-hasher.js'
import { EntryRun } from '../core/log/entry-run.js'
import type { ChannelId, Seq } from '../core/log/ids.js'
import { CorruptLogError } from '../core/log/log-errors.js'
import type { ReadOptions } from '../core/log/log-store.js'
import { concatRuns } from '../core/log/run-repack.js'
import { parseSegment, runOfSegment, type SegmentRecord } from '../core/log/segment-codec.js'
import { toStorageError } from './idb-errors.js'
import type { MeshlogDb } from './idb-schema.js'
import type { RecentSegments } from './recent-segments.js'

// Segments fetched per getAll. A byte-bounded read (a sync chunk) starts
// with one and doubles, so a 1 MiB chunk does not fetch and clone the 64
// segments its entry bound alone would cover (16 MiB of 4 KiB entries).
const READ_WINDOW_SEGMENTS = 64

export interface SegmentSource {
  readonly db: MeshlogDb
  readonly hasher: EntryHasher
  readonly recent: RecentSegments
  /** Told how many records a window took from memory. */
  readonly onRecentHits: (records: number) => void
}

/** The range to read: seqs [from, end) of `channel`, held by the segments at `firsts`. */
export interface SegmentRange {
  readonly channel: ChannelId
  readonly firsts: readonly number[]
  readonly from: Seq
  readonly end: number
}

/** The entries of `range` as one run, cut short by `options.maxBytes`. */
export async function readSegments(
  source: SegmentSource,
  range: SegmentRange,
  options: ReadOptions,
): Promise<EntryRun> {
  const { channel, firsts, from, end } = range
  const parts: EntryRun[] = []
  let taken = 0
  let bytes = 0
  let prevLast: Uint8Array | undefined
  let full = false
  let windowSize = options.maxBytes === undefined ? READ_WINDOW_SEGMENTS : 1
  let fromMemory = false
  for (
    let w = 0;
    w < firsts.length && !full;
    w += windowSize, windowSize = Math.min(windowSize * 2, READ_WINDOW_SEGMENTS)
  ) {
    const records = await windowRecords(source, range, firsts.slice(w, w + windowSize))
    for (const { record, recent } of records) {
      fromMemory ||= recent
      if (prevLast !== undefined && !equals(record.prevHash, prevLast)) {
        throw new CorruptLogError(
          `segment at seq ${record.firstSeq} does not chain onto the one before`,
          { details: { channel, firstSeq: record.firstSeq } },
        )
      }
      prevLast = record.lastHash
      // A record this store wrote and kept needs no checksum: it never left memory.
      const run = recent ? parseSegment(record) : runOfSegment(source.hasher, record)
      const start = Math.max(from - record.firstSeq, 0)
      let stop = Math.min(end - record.firstSeq, run.count)
      if (options.maxBytes !== undefined) {
        for (let i = start; i < stop; i++) {
          bytes += run.payloadLengthAt(i)
          if (taken + (i - start) > 0 && bytes > options.maxBytes) {
            stop = i
            full = true
            break
          }
        }
      }
      taken += stop - start
      if (stop > start) parts.push(run.slice(start, stop))
      if (full) break
    }
  }
  const [run] = parts
  if (run === undefined) return EntryRun.empty(channel, from)
  // Two parts or more are joined into bytes of their own.
  if (parts.length > 1) return concatRuns(parts)
  // A record kept in memory is the store's own: a reader that may write
  // into what it read gets a copy.
  if (fromMemory) return options.shared === true ? run : run.copy()
  // A small part of a big record gets bytes of its own, so the record can be freed.
  return run.data.byteLength > 2 * run.bytes().byteLength ? run.compact() : run
}

/**
 * The records of `window` (consecutive first seqs), from memory when this
 * store wrote them lately, else from IndexedDB in one getAll.
 */
async function windowRecords(
  source: SegmentSource,
  range: SegmentRange,
  window: readonly number[],
): Promise<{ readonly record: SegmentRecord; readonly recent: boolean }[]> {
  const { channel } = range
  const kept = window.map((first) => source.recent.get(channel, first))
  if (kept.every((record) => record !== undefined)) {
    source.onRecentHits(kept.length)
    return kept.map((record) => ({ record: record as SegmentRecord, recent: true }))
  }
  const keys = IDBKeyRange.bound([channel, window[0]], [channel, window[window.length - 1]])
  const records = await source.db.getAll('segments', keys).catch((error: unknown) => {
    throw toStorageError(error, { channel, op: 'read' })
  })
  if (records.length !== window.length || records.some((r, i) => r.firstSeq !== window[i])) {
    throw new CorruptLogError(`segments of ${channel} are missing`, {
      details: { channel, from: range.from, end: range.end },
    })
  }
  return records.map((record) => ({ record, recent: false }))
}
