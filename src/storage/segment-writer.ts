/**
 * How an append's entries become segment records. A large run gets segments
 * of its own. A small one merges with the small segments at the channel's
 * end the way a binary counter carries: it takes the last segment while that
 * holds no more entries than it has gathered so far. So one-entry appends
 * leave about log2(mergeBelowEntries) small records behind and each entry is
 * rewritten about that many times, where growing one last segment rewrote it
 * with every append (a one-entry commit wrote ~128 entries).
 *
 * The small records written last at each channel's end are kept in memory,
 * so a merge does not read them back; records an earlier session wrote are
 * read, checksummed and chain-checked up to the channel's tail first.
 */
import { equals } from 'uint8arrays/equals'
import type { EntryHasher } from '../core/log/entry-hasher.js'
import type { EntryRun } from '../core/log/entry-run.js'
import type { ChannelId } from '../core/log/ids.js'
import { CorruptLogError } from '../core/log/log-errors.js'
import {
  extendSegment,
  runOfSegment,
  type SegmentRecord,
  segmentOfRun,
} from '../core/log/segment-codec.js'
import type { SegmentStore } from './idb-transaction.js'
import type { RecentSegments } from './recent-segments.js'

export interface SegmentLimits {
  /** Largest segment written, in entries. */
  readonly maxSegmentEntries: number
  /** Largest segment written, in payload bytes. */
  readonly maxSegmentBytes: number
  /** Segments below both merge bounds are small: they merge with small appends. */
  readonly mergeBelowEntries: number
  readonly mergeBelowBytes: number
}

/** What one channel's part of a commit wrote. */
export interface WrittenSegments {
  /** The channel's segment first seqs once the commit is durable. */
  readonly firsts: number[]
  readonly records: SegmentRecord[]
  /** First seqs of the segment records the merge deleted (their entries are in `records`). */
  readonly deleted: number[]
  /** The run was merged into the small segments at the channel's end. */
  readonly merged: boolean
}

/** Where a channel's segments end before the run: their first seqs and the last hash. */
export interface ChannelEnd {
  readonly channel: ChannelId
  readonly firsts: readonly number[]
  readonly lastHash: Uint8Array
}

/**
 * Small records kept in memory per channel end. A binary counter leaves at
 * most log2(mergeBelowEntries) of them (8 by default); 16 covers 2^16.
 */
const TAIL_RECORDS_KEPT = 16

export class SegmentWriter {
  readonly #limits: SegmentLimits
  readonly #hasher: () => EntryHasher
  readonly #recent: RecentSegments
  readonly #tails = new Map<ChannelId, Map<number, SegmentRecord>>()
  /** Durable commits that merged small tail segments into one record. */
  merges = 0

  constructor(limits: SegmentLimits, hasher: () => EntryHasher, recent: RecentSegments) {
    this.#limits = limits
    this.#hasher = hasher
    this.#recent = recent
  }

  /** Queues on `work` the writes that add `run` after `end`, and says what they leave. */
  async write(
    segments: SegmentStore,
    end: ChannelEnd,
    run: EntryRun,
    work: Promise<unknown>[],
  ): Promise<WrittenSegments> {
    const { channel } = end
    const hasher = this.#hasher()
    const firsts = [...end.firsts]
    const carried = this.#isSmall(run.count, run.payloadBytes)
      ? await this.#carriedSegments(segments, end, run)
      : []
    if (carried.length > 0) {
      const merged = extendSegment(hasher, carried, run)
      const deleted = carried.slice(1).map((gone) => gone.firstSeq)
      for (const first of deleted) work.push(segments.delete([channel, first]))
      work.push(segments.put(merged))
      firsts.splice(firsts.length - carried.length, carried.length, merged.firstSeq)
      return { firsts, records: [merged], deleted, merged: true }
    }
    const records: SegmentRecord[] = []
    const { maxSegmentEntries, maxSegmentBytes } = this.#limits
    for (const piece of run.split(maxSegmentEntries, maxSegmentBytes)) {
      const record = segmentOfRun(hasher, piece)
      work.push(segments.put(record))
      records.push(record)
      firsts.push(record.firstSeq)
    }
    if (records.length === 0) throw new RangeError('no entries to write')
    return { firsts, records, deleted: [], merged: false }
  }

  /** `written` is durable: keeps its small records at the channel's end for the next small append. */
  committed(channel: ChannelId, written: WrittenSegments): void {
    if (written.merged) this.merges += 1
    const live = new Set(written.firsts.slice(-TAIL_RECORDS_KEPT))
    const kept = new Map<number, SegmentRecord>()
    for (const record of [...(this.#tails.get(channel)?.values() ?? []), ...written.records]) {
      if (live.has(record.firstSeq) && this.#isSmall(record.count, record.payloadBytes))
        kept.set(record.firstSeq, record)
    }
    this.#tails.set(channel, kept)
  }

  /** The channel's segments were rewritten or deleted other than by `write`. */
  forget(channel: ChannelId): void {
    this.#tails.delete(channel)
  }

  #isSmall(entries: number, payloadBytes: number): boolean {
    return entries < this.#limits.mergeBelowEntries && payloadBytes < this.#limits.mergeBelowBytes
  }

  /**
   * The small segments at the channel's end, oldest first, that a small
   * `run` carries into: walking back from the last, each one taken holds no
   * more entries than the run and the ones taken after it together, and the
   * merged segment stays within the segment limits.
   */
  async #carriedSegments(
    segments: SegmentStore,
    end: ChannelEnd,
    run: EntryRun,
  ): Promise<SegmentRecord[]> {
    const { maxSegmentEntries, maxSegmentBytes } = this.#limits
    const { firsts } = end
    let entries = run.count
    let take = 0
    for (let i = firsts.length - 1; i >= 0; i--) {
      const count = (firsts[i + 1] ?? run.firstSeq) - (firsts[i] as number)
      if (count > entries || !this.#isSmall(count, 0) || entries + count > maxSegmentEntries) break
      entries += count
      take++
    }
    const records = await this.#trailingRecords(segments, end, firsts.slice(firsts.length - take))
    let bytes = run.payloadBytes
    let keep = 0
    for (let i = records.length - 1; i >= 0; i--) {
      const record = records[i] as SegmentRecord
      if (!this.#isSmall(record.count, record.payloadBytes)) break
      if (bytes + record.payloadBytes > maxSegmentBytes) break
      bytes += record.payloadBytes
      keep++
    }
    return records.slice(records.length - keep)
  }

  /**
   * The channel's last segments at `firsts`: from memory when this store
   * wrote them, else read, checked and chained up to the channel's tail.
   */
  async #trailingRecords(
    segments: SegmentStore,
    end: ChannelEnd,
    firsts: readonly number[],
  ): Promise<SegmentRecord[]> {
    const { channel } = end
    const kept = this.#tails.get(channel)
    const records: SegmentRecord[] = []
    for (const first of firsts) {
      const cached = kept?.get(first) ?? this.#recent.get(channel, first)
      if (cached !== undefined) {
        records.push(cached)
        continue
      }
      const record = (await segments.get([channel, first])) as SegmentRecord | undefined
      if (record === undefined)
        throw new CorruptLogError(`segment ${first} of ${channel} is missing`)
      runOfSegment(this.#hasher(), record)
      records.push(record)
    }
    const ends = [...records.slice(1).map((r) => r.prevHash), end.lastHash]
    records.forEach((record, i) => {
      if (!equals(record.lastHash, ends[i] as Uint8Array)) {
        throw new CorruptLogError(`the last segments of ${channel} do not chain to its tail`, {
          details: { channel, firstSeq: record.firstSeq },
        })
      }
    })
    return records
  }
}
