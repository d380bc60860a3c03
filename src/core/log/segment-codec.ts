/**
 * Packs a dense run of one channel's entries into a single record. Storing
 * one IndexedDB record per entry caps writes near 23k entries/s and makes a
 * cold read of 100k entries take ~870 ms; one record per run of entries
 * moves the same bytes at ~450k entries/s (NOTES-browser-mesh.md).
 *
 * Inside `data`, per entry (varints are unsigned LEB128):
 *   varint authorIndex | varint authorSeq | u8 flags | u8 depth when flags & 2
 *   | varint payloadLength | payload | hash[32] | signature[64] when flags & 1
 *   | group proof (2 + 32 × depth bytes) when flags & 2
 * seq is implied (firstSeq + index) and prevHash is implied (the previous
 * entry's hash; `prevHash` for the first). `checksum` is BLAKE3 over `data`
 * and the segment header, so damaged bytes are caught on read without
 * rehashing every entry.
 */
import { equals } from 'uint8arrays/equals'
import type { Entry } from './entry.js'
import { HASH_BYTES } from './entry.js'
import type { EntryHasher } from './entry-hasher.js'
import { EntryRun, type RunFault } from './entry-run.js'
import type { ChannelId, PeerId, Seq } from './ids.js'
import { CorruptLogError } from './log-errors.js'
import { packEntries } from './run-pack.js'
import { concatRuns } from './run-repack.js'

export const SEGMENT_FORMAT = 1

export interface SegmentRecord {
  readonly channel: string
  readonly firstSeq: number
  readonly count: number
  readonly payloadBytes: number
  readonly format: number
  readonly prevHash: Uint8Array
  readonly lastHash: Uint8Array
  readonly authors: readonly string[]
  readonly data: Uint8Array
  readonly checksum: Uint8Array
}

// Ids never hold control characters, so a newline separates them unambiguously.
function headerBytes(
  channel: string,
  firstSeq: number,
  count: number,
  prevHash: Uint8Array,
  authors: readonly string[],
): Uint8Array {
  const text = new TextEncoder().encode([channel, ...authors].join('\n'))
  const out = new Uint8Array(text.byteLength + 16 + HASH_BYTES)
  out.set(text)
  const view = new DataView(out.buffer)
  view.setFloat64(text.byteLength, firstSeq)
  view.setFloat64(text.byteLength + 8, count)
  out.set(prevHash, text.byteLength + 16)
  return out
}

function checksumOf(hasher: EntryHasher, header: Uint8Array, data: Uint8Array): Uint8Array {
  return hasher.digest(header, data).subarray(0, 16)
}

/**
 * The segment record holding `run`. The record gets bytes of its own: a
 * record is structured-cloned into IndexedDB, buffer and all.
 */
export function segmentOfRun(hasher: EntryHasher, run: EntryRun): SegmentRecord {
  if (run.count === 0) throw new RangeError('a segment needs entries')
  const own = run.compact()
  const header = headerBytes(own.channel, own.firstSeq, own.count, own.prevHash, own.authors)
  return {
    channel: own.channel,
    firstSeq: own.firstSeq,
    count: own.count,
    payloadBytes: own.payloadBytes,
    format: SEGMENT_FORMAT,
    prevHash: own.prevHash,
    lastHash: own.lastHash.slice(),
    authors: own.authors,
    data: own.data,
    checksum: checksumOf(hasher, header, own.data),
  }
}

/** Packs `entries` (dense, one channel, chained) into a segment record. */
export function encodeSegment(hasher: EntryHasher, entries: readonly Entry[]): SegmentRecord {
  const first = entries[0]
  if (first === undefined) throw new RangeError('a segment needs entries')
  return segmentOfRun(hasher, packEntries(first.channel, entries))
}

function damaged(record: SegmentRecord): RunFault {
  return (_kind, why): never => {
    throw new CorruptLogError(`stored segment at seq ${record.firstSeq} is damaged: ${why}`, {
      details: { channel: record.channel, firstSeq: record.firstSeq },
    })
  }
}

/**
 * The record's entries as a run, parsed but not checksummed: only for a
 * record this process made and kept in memory (a store's recent writes),
 * never one read back from disk.
 */
export function parseSegment(record: SegmentRecord): EntryRun {
  const fail = damaged(record)
  if (record.format !== SEGMENT_FORMAT) fail('bad-enum', `unknown format ${record.format}`, 0)
  const run = EntryRun.parse(
    {
      channel: record.channel as ChannelId,
      firstSeq: record.firstSeq as Seq,
      prevHash: record.prevHash,
      authors: record.authors as readonly PeerId[],
    },
    record.data,
    record.count,
    fail,
  )
  if (!equals(run.lastHash, record.lastHash)) fail('bad-enum', 'last hash mismatch', 0)
  if (run.payloadBytes !== record.payloadBytes) fail('bad-enum', 'payload byte count mismatch', 0)
  return run
}

/**
 * A new record holding the entries of `records` (consecutive segments)
 * followed by `run` (which must continue them), without unpacking the old
 * ones: the cheap way to merge small tail segments.
 */
export function extendSegment(
  hasher: EntryHasher,
  records: readonly SegmentRecord[],
  run: EntryRun,
): SegmentRecord {
  return segmentOfRun(hasher, concatRuns([...records.map(parseSegment), run]))
}

/**
 * A segment's entries as a run, after checking its checksum and shape.
 * The run is a view of `record.data`.
 */
export function runOfSegment(hasher: EntryHasher, record: SegmentRecord): EntryRun {
  const fail = damaged(record)
  const header = headerBytes(
    record.channel,
    record.firstSeq,
    record.count,
    record.prevHash,
    record.authors,
  )
  if (!equals(checksumOf(hasher, header, record.data), record.checksum))
    fail('bad-enum', 'checksum mismatch', 0)
  return parseSegment(record)
}

/**
 * Unpacks a segment, checking its checksum and shape. Payloads are views
 * into `record.data`; callers that keep the record must copy them.
 */
export function decodeSegment(hasher: EntryHasher, record: SegmentRecord): Entry[] {
  return runOfSegment(hasher, record).entries()
}
