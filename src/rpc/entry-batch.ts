/**
 * Entries from the worker to the page, with all their bytes (payload,
 * hashes, signature) copied into one fresh ArrayBuffer that is transferred.
 * Entries read from storage are views into whole segment records; cloning
 * them as they are would copy every record they touch, once per message.
 */
import { authorProofOf, type Entry } from '../core/log/entry.js'

export interface PackedEntries {
  readonly entries: Entry[]
  /** Transfer this with the entries. */
  readonly buffer: ArrayBuffer
}

export function packEntries(entries: readonly Entry[]): PackedEntries {
  let total = 0
  for (const e of entries) {
    total +=
      e.payload.byteLength +
      e.prevHash.byteLength +
      e.hash.byteLength +
      (e.signature?.byteLength ?? 0) +
      (e.groupProof?.byteLength ?? 0)
  }
  const bytes = new Uint8Array(total)
  let offset = 0
  const copy = (source: Uint8Array): Uint8Array => {
    bytes.set(source, offset)
    const view = bytes.subarray(offset, offset + source.byteLength)
    offset += source.byteLength
    return view
  }
  const packed = entries.map((e): Entry => {
    const base = {
      channel: e.channel,
      seq: e.seq,
      author: e.author,
      authorSeq: e.authorSeq,
      payload: copy(e.payload),
      prevHash: copy(e.prevHash),
      hash: copy(e.hash),
    }
    return e.signature === undefined ? base : { ...base, ...authorProofOf(e, copy) }
  })
  return { entries: packed, buffer: bytes.buffer }
}
