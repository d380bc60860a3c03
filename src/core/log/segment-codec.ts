/**
 * Packs a dense run of one channel's entries into a single record. Storing
 * one IndexedDB record per entry caps writes near 23k entries/s and makes a
 * cold read of 100k entries take ~870 ms; one record per run of entries
 * moves the same bytes at ~450k entries/s (NOTES-browser-mesh.md).
 *
 * Inside `data`, per entry (varints are unsigned LEB128):
 *   varint authorIndex | varint authorSeq | u8 flags | varint payloadLength
 *   | payload | hash[32] | signature[64] when flags & 1
 * seq is implied (firstSeq + index) and prevHash is implied (the previous
 * entry's hash; `prevHash` for the first). `checksum` is BLAKE3 over `data`
 * and the segment header, so damaged bytes are caught on read without
 * rehashing every entry.
 */
import { equals } from 'uint8arrays/equals'
import type { Entry } from './entry.js'
import { HASH_BYTES, SIGNATURE_BYTES } from './entry.js'
import type { EntryHasher } from './entry-hasher.js'
import type { ChannelId, PeerId, Seq } from './ids.js'
import { CorruptLogError } from './log-errors.js'

export const SEGMENT_FORMAT = 1
const FLAG_SIGNED = 1

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

function varintLength(value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    n++
  }
  return n
}

function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  out[offset++] = value
  return offset
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

/** Packs entries into `data` bytes, growing `authorIndex` with authors not yet in it. */
function packEntries(entries: readonly Entry[], authorIndex: Map<string, number>): Uint8Array {
  let size = 0
  for (const e of entries) {
    let index = authorIndex.get(e.author)
    if (index === undefined) {
      index = authorIndex.size
      authorIndex.set(e.author, index)
    }
    size +=
      varintLength(index) +
      varintLength(e.authorSeq) +
      1 +
      varintLength(e.payload.byteLength) +
      e.payload.byteLength +
      HASH_BYTES +
      (e.signature === undefined ? 0 : SIGNATURE_BYTES)
  }
  const data = new Uint8Array(size)
  let offset = 0
  for (const e of entries) {
    offset = writeVarint(data, offset, authorIndex.get(e.author) as number)
    offset = writeVarint(data, offset, e.authorSeq)
    data[offset++] = e.signature === undefined ? 0 : FLAG_SIGNED
    offset = writeVarint(data, offset, e.payload.byteLength)
    data.set(e.payload, offset)
    offset += e.payload.byteLength
    data.set(e.hash, offset)
    offset += HASH_BYTES
    if (e.signature !== undefined) {
      data.set(e.signature, offset)
      offset += SIGNATURE_BYTES
    }
  }
  return data
}

function payloadSum(entries: readonly Entry[]): number {
  let sum = 0
  for (const e of entries) sum += e.payload.byteLength
  return sum
}

function sealRecord(
  hasher: EntryHasher,
  fields: Omit<SegmentRecord, 'checksum' | 'format'>,
): SegmentRecord {
  const header = headerBytes(
    fields.channel,
    fields.firstSeq,
    fields.count,
    fields.prevHash,
    fields.authors,
  )
  return {
    ...fields,
    format: SEGMENT_FORMAT,
    checksum: hasher.digest(header, fields.data).subarray(0, 16),
  }
}

/** Packs `entries` (dense, one channel, chained) into a segment record. */
export function encodeSegment(hasher: EntryHasher, entries: readonly Entry[]): SegmentRecord {
  const first = entries[0]
  const last = entries[entries.length - 1]
  if (first === undefined || last === undefined) throw new RangeError('a segment needs entries')
  const authorIndex = new Map<string, number>()
  const data = packEntries(entries, authorIndex)
  return sealRecord(hasher, {
    channel: first.channel,
    firstSeq: first.seq,
    count: entries.length,
    payloadBytes: payloadSum(entries),
    prevHash: first.prevHash.slice(),
    lastHash: last.hash.slice(),
    authors: [...authorIndex.keys()],
    data,
  })
}

/**
 * A new record holding `record`'s entries followed by `entries` (which must
 * continue it), without unpacking the old ones: the cheap way to grow a small
 * tail segment.
 */
export function extendSegment(
  hasher: EntryHasher,
  record: SegmentRecord,
  entries: readonly Entry[],
): SegmentRecord {
  const last = entries[entries.length - 1]
  if (last === undefined) return record
  const authorIndex = new Map(record.authors.map((author, i) => [author, i]))
  const added = packEntries(entries, authorIndex)
  const data = new Uint8Array(record.data.byteLength + added.byteLength)
  data.set(record.data)
  data.set(added, record.data.byteLength)
  return sealRecord(hasher, {
    channel: record.channel,
    firstSeq: record.firstSeq,
    count: record.count + entries.length,
    payloadBytes: record.payloadBytes + payloadSum(entries),
    prevHash: record.prevHash,
    lastHash: last.hash.slice(),
    authors: [...authorIndex.keys()],
    data,
  })
}

class Reader {
  offset = 0
  constructor(
    readonly data: Uint8Array,
    readonly fail: (why: string) => never,
  ) {}

  varint(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < 8; i++) {
      const byte = this.data[this.offset++]
      if (byte === undefined) this.fail('truncated varint')
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
    }
    return this.fail('varint too long')
  }

  bytes(length: number): Uint8Array {
    const end = this.offset + length
    if (end > this.data.byteLength) this.fail('truncated entry')
    const out = this.data.subarray(this.offset, end)
    this.offset = end
    return out
  }
}

/**
 * Unpacks a segment, checking its checksum and shape. Payloads are views
 * into `record.data`; callers that keep the record must copy them.
 */
export function decodeSegment(hasher: EntryHasher, record: SegmentRecord): Entry[] {
  const fail = (why: string): never => {
    throw new CorruptLogError(`stored segment at seq ${record.firstSeq} is damaged: ${why}`, {
      details: { channel: record.channel, firstSeq: record.firstSeq },
    })
  }
  if (record.format !== SEGMENT_FORMAT) fail(`unknown format ${record.format}`)
  const header = headerBytes(
    record.channel,
    record.firstSeq,
    record.count,
    record.prevHash,
    record.authors,
  )
  if (!equals(hasher.digest(header, record.data).subarray(0, 16), record.checksum)) {
    fail('checksum mismatch')
  }
  const reader = new Reader(record.data, fail)
  const entries: Entry[] = []
  const channel = record.channel as ChannelId
  let prevHash = record.prevHash
  let payloadBytes = 0
  for (let i = 0; i < record.count; i++) {
    const author = record.authors[reader.varint()]
    if (author === undefined) fail('author index out of range')
    const authorSeq = reader.varint()
    const flags = reader.bytes(1)[0] as number
    const payload = reader.bytes(reader.varint())
    const hash = reader.bytes(HASH_BYTES)
    const entry: Entry = {
      channel,
      seq: (record.firstSeq + i) as Seq,
      author: author as PeerId,
      authorSeq,
      payload,
      prevHash,
      hash,
      ...((flags & FLAG_SIGNED) !== 0 ? { signature: reader.bytes(SIGNATURE_BYTES) } : {}),
    }
    entries.push(entry)
    prevHash = hash
    payloadBytes += payload.byteLength
  }
  if (reader.offset !== record.data.byteLength) fail('trailing bytes')
  if (!equals(prevHash, record.lastHash)) fail('last hash mismatch')
  if (payloadBytes !== record.payloadBytes) fail('payload byte count mismatch')
  return entries
}
