/**
 * The segment rewrites of a truncate (cut a channel's end) and of a
 * retention sweep (cut its start). Each reads the records it touches inside
 * the caller's transaction, queues deletes and rewrites on `work`, and says
 * what it did; the caller commits the channel record with them.
 */

import type { SweepPlan } from '../core/log/channel-state.js'
import type { Entry } from '../core/log/entry.js'
import type { EntryHasher } from '../core/log/entry-hasher.js'
import type { ChannelId } from '../core/log/ids.js'
import { CorruptLogError } from '../core/log/log-errors.js'
import { decodeSegment, encodeSegment, type SegmentRecord } from '../core/log/segment-codec.js'
import type { SegmentStore } from './idb-transaction.js'

async function segmentAt(
  segments: SegmentStore,
  channel: ChannelId,
  first: number,
): Promise<SegmentRecord> {
  const record = await segments.get([channel, first])
  if (record === undefined) throw new CorruptLogError(`segment ${first} of ${channel} is missing`)
  return record
}

export interface TailCut {
  /** Hash of the last entry kept. */
  readonly lastHash: Uint8Array
  readonly droppedBytes: number
  /** The entries cut, for the author marks. */
  readonly cut: Entry[]
}

/**
 * Cuts every entry from seq `end` on: deletes the segments at or after it
 * and rewrites the one it falls inside. `firsts` are the channel's segment
 * first seqs; `lastHash` its tail hash, kept when nothing is cut.
 */
export async function cutSegmentsFrom(
  segments: SegmentStore,
  hasher: EntryHasher,
  range: {
    readonly channel: ChannelId
    readonly firsts: readonly number[]
    readonly end: number
    readonly lastHash: Uint8Array
  },
  work: Promise<unknown>[],
): Promise<TailCut> {
  const { channel, firsts, end } = range
  const kept = firsts.filter((f) => f < end)
  const boundary = kept[kept.length - 1]
  let droppedBytes = 0
  let lastHash = range.lastHash
  const cut: Entry[] = []
  for (const first of firsts.slice(kept.length)) {
    const record = await segmentAt(segments, channel, first)
    if (first === end) lastHash = record.prevHash
    droppedBytes += record.payloadBytes
    cut.push(...decodeSegment(hasher, record))
    work.push(segments.delete([channel, first]))
  }
  if (boundary !== undefined) {
    const record = await segmentAt(segments, channel, boundary)
    const entries = decodeSegment(hasher, record)
    const keep = entries.slice(0, end - boundary)
    cut.push(...entries.slice(keep.length))
    if (keep.length < entries.length) {
      const rewritten = encodeSegment(hasher, keep)
      droppedBytes += record.payloadBytes - rewritten.payloadBytes
      work.push(segments.put(rewritten))
    }
    lastHash = (keep[keep.length - 1] as Entry).hash
  }
  return { lastHash, droppedBytes, cut }
}

/**
 * Evicts from the channel's start the entries `plan` takes: deletes the
 * segments it empties and rewrites the one it stops inside. Returns the
 * first seqs of the segments left.
 */
export async function sweepSegments(
  segments: SegmentStore,
  hasher: EntryHasher,
  channel: ChannelId,
  firsts: readonly number[],
  plan: SweepPlan,
  work: Promise<unknown>[],
): Promise<number[]> {
  let remaining = [...firsts]
  for (const first of firsts) {
    const entries = decodeSegment(hasher, await segmentAt(segments, channel, first))
    let taken = 0
    while (taken < entries.length && plan.take((entries[taken] as Entry).payload.byteLength))
      taken++
    if (taken === 0) break
    work.push(segments.delete([channel, first]))
    remaining = remaining.slice(1)
    if (taken < entries.length) {
      const rest = encodeSegment(hasher, entries.slice(taken))
      work.push(segments.put(rest))
      remaining = [rest.firstSeq, ...remaining]
      break
    }
  }
  return remaining
}
