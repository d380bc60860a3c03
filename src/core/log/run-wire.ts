/**
 * The wire form of a run, as a SyncResponse carries it: the run's entry
 * bytes (entry-run.ts) with every entry's hash left out. A receiver
 * computes each hash anyway to verify it, and at 100-byte payloads the
 * hashes were a quarter of the bytes sent. The run's first prevHash and
 * its last hash travel beside it (frame-codec.ts).
 */
import { HASH_BYTES, SIGNATURE_BYTES } from './entry.js'
import { EntryRun, type RunHeader } from './entry-run.js'
import { type RunFault, readEntryHead } from './run-bytes.js'

/** The hash of entry `seq` of a run being read off the wire, from its fields and the hash before it. */
export type WireEntryHash = (
  seq: number,
  authorIndex: number,
  authorSeq: number,
  payload: Uint8Array,
  prevHash: Uint8Array,
) => Uint8Array

/** The length of `run`'s wire form: its entry bytes less every entry's hash. */
export function wireByteLength(run: EntryRun): number {
  return run.bytes().byteLength - run.count * HASH_BYTES
}

/** Writes `run`'s wire form into `out` at `offset`; returns where it ends. */
export function writeWire(run: EntryRun, out: Uint8Array, offset: number): number {
  const { data } = run
  const bytes = run.bytes()
  // Each entry's hash follows its payload: copy up to it, skip it.
  let from = bytes.byteOffset - data.byteOffset
  let at = offset
  run.forEach((_index, _authorIndex, _authorSeq, _payloadStart, payloadEnd) => {
    out.set(data.subarray(from, payloadEnd), at)
    at += payloadEnd - from
    from = payloadEnd + HASH_BYTES
  })
  const end = bytes.byteOffset - data.byteOffset + bytes.byteLength
  out.set(data.subarray(from, end), at)
  return at + end - from
}

/**
 * The run whose wire form is `wire`, each entry hashed onto the one before
 * by `hashOf` as it is copied in. What `EntryRun.parse` refuses goes to
 * `fail`, which must throw.
 */
export function readWire(
  header: RunHeader,
  wire: Uint8Array,
  count: number,
  hashOf: WireEntryHash,
  fail: RunFault,
): EntryRun {
  if (header.prevHash.byteLength !== HASH_BYTES) fail('truncated', 'prevHash must be 32 bytes', 0)
  const end = wire.byteLength
  // The smallest entry is 4 bytes: a guard before allocating for `count`.
  if (count * 4 > end) fail('truncated', `${count} entries cannot fit ${end} bytes`, 0)
  const data = new Uint8Array(end + count * HASH_BYTES)
  let at = 0
  let out = 0
  let prevHash = header.prevHash
  for (let i = 0; i < count; i++) {
    const entryStart = at
    const { authorIndex, authorSeq, signed, payloadStart, payloadEnd } = readEntryHead(
      wire,
      at,
      header.authors.length,
      fail,
    )
    const entryEnd = payloadEnd + (signed ? SIGNATURE_BYTES : 0)
    if (entryEnd > end) fail('truncated', 'truncated entry', end)
    data.set(wire.subarray(entryStart, payloadEnd), out)
    out += payloadEnd - entryStart
    const payload = data.subarray(out - (payloadEnd - payloadStart), out)
    prevHash = hashOf(header.firstSeq + i, authorIndex, authorSeq, payload, prevHash)
    data.set(prevHash, out)
    out += HASH_BYTES
    data.set(wire.subarray(payloadEnd, entryEnd), out)
    out += entryEnd - payloadEnd
    at = entryEnd
  }
  if (at !== end) fail('trailing-bytes', `${end - at} bytes after the last entry`, at)
  // Indexes the entries (a second, cheap pass over the varints) and checks what is left to check.
  return EntryRun.parse(header, data, count, fail)
}
