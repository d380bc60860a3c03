/**
 * A dense run of one channel's entries, kept packed: the bytes a segment
 * record stores and a SyncResponse carries. Replication moves runs from
 * storage to the wire and back without an object per entry; `entries()`
 * makes the objects when a slower path wants them.
 *
 * `data` holds, per entry (varints are unsigned LEB128, shortest form):
 *   varint authorIndex | varint authorSeq | u8 flags | u8 depth when flags & 2
 *   | varint payloadLength | payload | hash[32] | signature[64] when flags & 1
 *   | group proof (2 + 32 × depth bytes) when flags & 2
 * The seq of entry i is `firstSeq + i`; its prevHash is the hash of the
 * entry before it (`prevHash` for the first), so a run cannot hold a gap or
 * a broken link. `authors` is the table the indexes point into.
 * A sync response carries the same without the hashes (run-wire.ts).
 * Runs come from bytes (`EntryRun.parse`), from entries or drafts
 * (run-pack.ts), or from other runs (run-repack.ts, and `slice` here).
 */
import type { Entry } from './entry.js'
import { groupProofByteLength, HASH_BYTES, SIGNATURE_BYTES } from './entry.js'
import type { ChannelId, PeerId, Seq } from './ids.js'
import { RUN_FLAG_GROUPED, RUN_FLAG_SIGNED, type RunFault, readEntryHead } from './run-bytes.js'

export type { RunFault, RunFaultKind } from './run-bytes.js'
export { MAX_RUN_PAYLOAD_BYTES, RUN_FLAG_GROUPED, RUN_FLAG_SIGNED } from './run-bytes.js'

export interface RunHeader {
  readonly channel: ChannelId
  readonly firstSeq: Seq
  readonly prevHash: Uint8Array
  readonly authors: readonly PeerId[]
}

/** The highest authorSeq of each author in a run. */
export type AuthorHighs = ReadonlyMap<PeerId, number>

/** Where one entry's fields sit in `data`. */
export interface EntrySlots {
  authorIndex: number
  authorSeq: number
  /** Where the flags byte is. */
  flagsAt: number
  flags: number
  /** Group proof depth (0 unless grouped). */
  depth: number
  payloadStart: number
  payloadEnd: number
}

export class EntryRun {
  readonly channel: ChannelId
  readonly firstSeq: Seq
  readonly prevHash: Uint8Array
  readonly authors: readonly PeerId[]
  readonly data: Uint8Array
  readonly payloadBytes: number
  /** Entries carrying a signature. */
  readonly signedCount: number
  /** Bytes of group proofs the entries carry. */
  readonly proofBytes: number
  /** Start of each entry in `data`, and `data.byteLength` last. */
  readonly #starts: Uint32Array
  readonly #slots: EntrySlots = {
    authorIndex: 0,
    authorSeq: 0,
    flagsAt: 0,
    flags: 0,
    depth: 0,
    payloadStart: 0,
    payloadEnd: 0,
  }

  private constructor(
    header: RunHeader,
    data: Uint8Array,
    starts: Uint32Array,
    payloadBytes: number,
    signedCount: number,
    proofBytes: number,
  ) {
    this.channel = header.channel
    this.firstSeq = header.firstSeq
    this.prevHash = header.prevHash
    this.authors = header.authors
    this.data = data
    this.#starts = starts
    this.payloadBytes = payloadBytes
    this.signedCount = signedCount
    this.proofBytes = proofBytes
  }

  get count(): number {
    return this.#starts.length - 1
  }

  /** The seq after the run's last entry. */
  get nextSeq(): Seq {
    return (this.firstSeq + this.count) as Seq
  }

  /** The last entry's hash (`prevHash` for an empty run). */
  get lastHash(): Uint8Array {
    return this.count === 0 ? this.prevHash : this.hashAt(this.count - 1)
  }

  /**
   * A run over bytes laid out as above, unchecked: for the run builders of
   * this folder (run-pack.ts, run-repack.ts), which write the layout
   * themselves. Bytes from anywhere else go through `EntryRun.parse`.
   */
  static assemble(
    header: RunHeader,
    data: Uint8Array,
    starts: Uint32Array,
    payloadBytes: number,
    signedCount: number,
    proofBytes: number,
  ): EntryRun {
    return new EntryRun(header, data, starts, payloadBytes, signedCount, proofBytes)
  }

  /** A run of no entries that would start at `firstSeq`, after `prevHash`. */
  static empty(channel: ChannelId, firstSeq: Seq, prevHash = new Uint8Array(HASH_BYTES)): EntryRun {
    return new EntryRun(
      { channel, firstSeq, prevHash, authors: [] },
      new Uint8Array(0),
      new Uint32Array(1),
      0,
      0,
      0,
    )
  }

  /**
   * Checks `data` and indexes its entries: every author index in the
   * table, flags known, payloads within `MAX_RUN_PAYLOAD_BYTES`, no
   * trailing bytes. Anything else goes to `fail`, which must throw.
   */
  static parse(header: RunHeader, data: Uint8Array, count: number, fail: RunFault): EntryRun {
    if (header.prevHash.byteLength !== HASH_BYTES) fail('truncated', 'prevHash must be 32 bytes', 0)
    const starts = new Uint32Array(count + 1)
    const end = data.byteLength
    let offset = 0
    let payloadBytes = 0
    let signedCount = 0
    let proofBytes = 0
    for (let i = 0; i < count; i++) {
      starts[i] = offset
      const { signed, payloadStart, payloadEnd, trailerBytes } = readEntryHead(
        data,
        offset,
        header.authors.length,
        fail,
      )
      payloadBytes += payloadEnd - payloadStart
      if (signed) {
        signedCount++
        proofBytes += trailerBytes - SIGNATURE_BYTES
      }
      offset = payloadEnd + HASH_BYTES + trailerBytes
      if (offset > end) fail('truncated', 'truncated entry', end)
    }
    if (offset !== end) fail('trailing-bytes', `${end - offset} bytes after the last entry`, offset)
    starts[count] = end
    return new EntryRun(header, data, starts, payloadBytes, signedCount, proofBytes)
  }

  /** Entries [start, end) as a run over the same bytes (no copy). */
  slice(start: number, end = this.count): EntryRun {
    const from = Math.max(0, Math.min(start, this.count))
    const to = Math.max(from, Math.min(end, this.count))
    if (from === 0 && to === this.count) return this
    let payloadBytes = 0
    let signedCount = 0
    let proofBytes = 0
    for (let i = from; i < to; i++) {
      const slots = this.#read(i)
      payloadBytes += slots.payloadEnd - slots.payloadStart
      if ((slots.flags & RUN_FLAG_SIGNED) !== 0) signedCount++
      if (slots.depth > 0) proofBytes += groupProofByteLength(slots.depth)
    }
    return new EntryRun(
      {
        channel: this.channel,
        firstSeq: (this.firstSeq + from) as Seq,
        prevHash: from === 0 ? this.prevHash : this.hashAt(from - 1),
        authors: this.authors,
      },
      this.data,
      this.#starts.slice(from, to + 1),
      payloadBytes,
      signedCount,
      proofBytes,
    )
  }

  /**
   * Consecutive runs of at most `maxEntries` entries and `maxBytes` payload
   * bytes each (an entry larger than that makes a run alone).
   */
  split(maxEntries: number, maxBytes: number): EntryRun[] {
    const pieces: EntryRun[] = []
    let start = 0
    let bytes = 0
    for (let i = 0; i < this.count; i++) {
      const size = this.payloadLengthAt(i)
      if (i > start && (i - start >= maxEntries || bytes + size > maxBytes)) {
        pieces.push(this.slice(start, i))
        start = i
        bytes = 0
      }
      bytes += size
    }
    if (start < this.count) pieces.push(this.slice(start))
    return pieces
  }

  /**
   * The same run over bytes of its own: a run that is a view into a larger
   * buffer (a frame, a segment) would keep all of it alive, and a
   * structured clone of it would copy all of it.
   */
  compact(): EntryRun {
    const base = this.#starts[0] as number
    const end = this.#starts[this.count] as number
    const owned = this.data.byteOffset === 0 && this.data.buffer.byteLength === end
    if (base !== 0 || !owned) return this.copy()
    if (this.prevHash.buffer.byteLength === HASH_BYTES) return this
    // Bytes of its own already (a concat, a sealed run): only the 32-byte prevHash is a view.
    return new EntryRun(
      {
        channel: this.channel,
        firstSeq: this.firstSeq,
        prevHash: this.prevHash.slice(),
        authors: this.authors,
      },
      this.data,
      this.#starts,
      this.payloadBytes,
      this.signedCount,
      this.proofBytes,
    )
  }

  /** The same run over a copy of its bytes, always (where `compact` may hand back this run). */
  copy(): EntryRun {
    const base = this.#starts[0] as number
    const end = this.#starts[this.count] as number
    const starts = new Uint32Array(this.#starts.length)
    for (let i = 0; i < starts.length; i++) starts[i] = (this.#starts[i] as number) - base
    return new EntryRun(
      {
        channel: this.channel,
        firstSeq: this.firstSeq,
        prevHash: this.prevHash.slice(),
        authors: this.authors,
      },
      this.data.slice(base, end),
      starts,
      this.payloadBytes,
      this.signedCount,
      this.proofBytes,
    )
  }

  /** The entry bytes alone, exactly as `data` lays them out from the first entry. */
  bytes(): Uint8Array {
    return this.data.subarray(this.#starts[0], this.#starts[this.count])
  }

  #read(i: number): EntrySlots {
    const data = this.data
    let offset = this.#starts[i] as number
    const slots = this.#slots
    let value = 0
    let scale = 1
    for (;;) {
      const byte = data[offset++] as number
      value += (byte & 0x7f) * scale
      if (byte < 0x80) break
      scale *= 128
    }
    slots.authorIndex = value
    value = 0
    scale = 1
    for (;;) {
      const byte = data[offset++] as number
      value += (byte & 0x7f) * scale
      if (byte < 0x80) break
      scale *= 128
    }
    slots.authorSeq = value
    slots.flagsAt = offset
    const flags = data[offset++] as number
    slots.flags = flags
    slots.depth = (flags & RUN_FLAG_GROUPED) === 0 ? 0 : (data[offset++] as number)
    value = 0
    scale = 1
    for (;;) {
      const byte = data[offset++] as number
      value += (byte & 0x7f) * scale
      if (byte < 0x80) break
      scale *= 128
    }
    slots.payloadStart = offset
    slots.payloadEnd = offset + value
    return slots
  }

  /** Where entry i's fields are in `data`: overwritten by the next call that reads an entry. */
  fieldsAt(i: number): Readonly<EntrySlots> {
    return this.#read(i)
  }

  /** Where entry i starts in `data`. */
  startAt(i: number): number {
    return this.#starts[i] as number
  }

  authorAt(i: number): PeerId {
    return this.authors[this.#read(i).authorIndex] as PeerId
  }

  authorSeqAt(i: number): number {
    return this.#read(i).authorSeq
  }

  payloadAt(i: number): Uint8Array {
    const slots = this.#read(i)
    return this.data.subarray(slots.payloadStart, slots.payloadEnd)
  }

  payloadLengthAt(i: number): number {
    const slots = this.#read(i)
    return slots.payloadEnd - slots.payloadStart
  }

  /** Where entry i's hash starts in `data`. */
  hashOffsetAt(i: number): number {
    return this.#read(i).payloadEnd
  }

  hashAt(i: number): Uint8Array {
    const at = this.#read(i).payloadEnd
    return this.data.subarray(at, at + HASH_BYTES)
  }

  signatureAt(i: number): Uint8Array | undefined {
    const slots = this.#read(i)
    if ((slots.flags & RUN_FLAG_SIGNED) === 0) return undefined
    const at = slots.payloadEnd + HASH_BYTES
    return this.data.subarray(at, at + SIGNATURE_BYTES)
  }

  /** Entry i, from its slots (just read) and the hash before it; its byte fields are views into `data`. */
  #make(i: number, slots: EntrySlots, prevHash: Uint8Array): Entry {
    const { data } = this
    const channel = this.channel
    const seq = (this.firstSeq + i) as Seq
    const author = this.authors[slots.authorIndex] as PeerId
    const authorSeq = slots.authorSeq
    const payload = data.subarray(slots.payloadStart, slots.payloadEnd)
    const at = slots.payloadEnd + HASH_BYTES
    const hash = data.subarray(slots.payloadEnd, at)
    // Whole object literals, not spreads: this runs once per entry of every chunk applied.
    if ((slots.flags & RUN_FLAG_SIGNED) === 0)
      return { channel, seq, author, authorSeq, payload, prevHash, hash }
    const signature = data.subarray(at, at + SIGNATURE_BYTES)
    if (slots.depth === 0)
      return { channel, seq, author, authorSeq, payload, prevHash, hash, signature }
    const proofAt = at + SIGNATURE_BYTES
    const groupProof = data.subarray(proofAt, proofAt + groupProofByteLength(slots.depth))
    return { channel, seq, author, authorSeq, payload, prevHash, hash, signature, groupProof }
  }

  /** Entry i as an object; payload, hash, signature and proof are views into `data`. */
  entry(i: number): Entry {
    // Before #read(i): hashAt reads entry i - 1 into the same slots.
    const prevHash = i === 0 ? this.prevHash : this.hashAt(i - 1)
    return this.#make(i, this.#read(i), prevHash)
  }

  entries(): Entry[] {
    const out: Entry[] = new Array(this.count)
    let prevHash = this.prevHash
    for (let i = 0; i < this.count; i++) {
      const entry = this.#make(i, this.#read(i), prevHash)
      out[i] = entry
      prevHash = entry.hash
    }
    return out
  }

  /** Calls `visit` for each entry with its fields' places in `data` (valid during the call). */
  forEach(
    visit: (
      index: number,
      authorIndex: number,
      authorSeq: number,
      payloadStart: number,
      payloadEnd: number,
      signed: boolean,
    ) => void,
  ): void {
    for (let i = 0; i < this.count; i++) {
      const s = this.#read(i)
      visit(
        i,
        s.authorIndex,
        s.authorSeq,
        s.payloadStart,
        s.payloadEnd,
        (s.flags & RUN_FLAG_SIGNED) !== 0,
      )
    }
  }

  /** The highest authorSeq of each author in the run. */
  authorHighs(): AuthorHighs {
    const highs = new Map<PeerId, number>()
    const byIndex = new Float64Array(this.authors.length).fill(-1)
    for (let i = 0; i < this.count; i++) {
      const s = this.#read(i)
      if (s.authorSeq > (byIndex[s.authorIndex] as number)) byIndex[s.authorIndex] = s.authorSeq
    }
    for (const [i, author] of this.authors.entries()) {
      const high = byIndex[i] as number
      if (high >= 0) highs.set(author, high)
    }
    return highs
  }

  /** Sum over entries of their author's id length (the budget counts it). */
  authorChars(): number {
    if (this.authors.length === 1) return this.count * (this.authors[0] as PeerId).length
    let chars = 0
    for (let i = 0; i < this.count; i++) {
      chars += (this.authors[this.#read(i).authorIndex] as PeerId).length
    }
    return chars
  }
}
