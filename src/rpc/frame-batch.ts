/**
 * Frames between the page and the worker travel in batches: many
 * `(peer, frame)` pairs packed into one ArrayBuffer that is transferred, not
 * copied, through the MessagePort. Layout: varint count, then per item
 * varint-prefixed peer id (UTF-8) and varint-prefixed frame bytes.
 */
import { MAX_PEER_ID_LENGTH, type PeerId, peerId } from '../core/log/ids.js'
import { ByteReader } from '../core/wire/byte-reader.js'
import { DecodeError } from '../core/wire/decode-error.js'
import { MAX_FRAME_BYTES } from '../core/wire/wire-limits.js'

export interface AddressedFrame {
  readonly peer: PeerId
  readonly frame: Uint8Array
}

const textEncoder = new TextEncoder()

function varintLength(value: number): number {
  let n = 1
  for (let v = value; v >= 0x80; v = Math.floor(v / 128)) n++
  return n
}

function writeVarint(out: Uint8Array, at: number, value: number): number {
  let v = value
  let offset = at
  while (v >= 0x80) {
    out[offset++] = (v % 128) | 0x80
    v = Math.floor(v / 128)
  }
  out[offset++] = v
  return offset
}

/** Packs frames into one transferable buffer (one copy of each frame, no more). */
export function encodeFrameBatch(items: readonly AddressedFrame[]): ArrayBuffer {
  const peers = items.map((item) => textEncoder.encode(item.peer))
  let size = varintLength(items.length)
  items.forEach((item, i) => {
    const peer = peers[i] as Uint8Array
    size +=
      varintLength(peer.byteLength) +
      peer.byteLength +
      varintLength(item.frame.byteLength) +
      item.frame.byteLength
  })
  const out = new Uint8Array(size)
  let offset = writeVarint(out, 0, items.length)
  items.forEach((item, i) => {
    const peer = peers[i] as Uint8Array
    offset = writeVarint(out, offset, peer.byteLength)
    out.set(peer, offset)
    offset += peer.byteLength
    offset = writeVarint(out, offset, item.frame.byteLength)
    out.set(item.frame, offset)
    offset += item.frame.byteLength
  })
  return out.buffer
}

/** Unpacks a batch; frames are views into `buffer`. Throws DecodeError on a malformed batch. */
export function decodeFrameBatch(buffer: ArrayBuffer): AddressedFrame[] {
  const reader = new ByteReader(new Uint8Array(buffer))
  const count = reader.varint('batch size')
  if (count > reader.remaining) throw new DecodeError('over-limit', `batch of ${count} cannot fit`)
  const items: AddressedFrame[] = []
  for (let i = 0; i < count; i++) {
    const text = reader.string(MAX_PEER_ID_LENGTH * 3, 'peer id')
    let peer: PeerId
    try {
      peer = peerId(text)
    } catch {
      throw new DecodeError('bad-id', 'batch names an invalid peer id')
    }
    items.push({ peer, frame: reader.blob(MAX_FRAME_BYTES, 'frame') })
  }
  reader.end()
  return items
}
