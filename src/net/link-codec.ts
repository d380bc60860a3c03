/**
 * Bytes of the `/meshlog/1.0.0` stream. Every message is a varint length
 * followed by that many bytes: a one-byte type, then
 *   0x00 DATA    the frame, as the sender passed it to `send()`;
 *   0x01 CREDIT  uint32 big-endian: how many more frame bytes the sender of
 *                this message can take (flow control, see link-credit.ts);
 *   0x02 PING    uint32 nonce: answer with PONG (keepalive, liveness, RTT);
 *   0x03 PONG    the nonce of the PING it answers.
 * The varint length is libp2p's usual prefix (`lpStream`), so the stream reads
 * like any other length-prefixed libp2p protocol.
 */

import type { StreamMessageEvent } from '@libp2p/interface'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { describeValue, InvalidArgumentError } from '../core/errors.js'
import { FrameTooLargeError, LinkProtocolError } from './net-errors.js'

export const MESSAGE_DATA = 0x00
export const MESSAGE_CREDIT = 0x01
export const MESSAGE_PING = 0x02
export const MESSAGE_PONG = 0x03
/** Largest credit grant one CREDIT message carries. */
export const MAX_CREDIT = 0xffff_ffff

export type LinkMessage =
  | { readonly type: 'data'; readonly frame: Uint8Array }
  | { readonly type: 'credit'; readonly bytes: number }
  | { readonly type: 'ping' | 'pong'; readonly nonce: number }

export type StreamChunk = StreamMessageEvent['data']

/** Unsigned LEB128, as libp2p's `uint8-varint` writes it. */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('varint needs a non-negative safe integer', {
      details: { value: describeValue(value) },
    })
  }
  const out: number[] = []
  let rest = value
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  out.push(rest)
  return Uint8Array.from(out)
}

/** Length prefix and type byte that go in front of a DATA frame. */
export function encodeDataHeader(frameLength: number): Uint8Array {
  const prefix = encodeVarint(frameLength + 1)
  const header = new Uint8Array(prefix.byteLength + 1)
  header.set(prefix)
  header[prefix.byteLength] = MESSAGE_DATA
  return header
}

function encodeUint32Message(type: number, value: number): Uint8Array {
  const out = new Uint8Array(6)
  out[0] = 5
  out[1] = type
  new DataView(out.buffer).setUint32(2, value)
  return out
}

export function encodeCredit(bytes: number): Uint8Array {
  if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes > MAX_CREDIT) {
    throw new InvalidArgumentError(`credit must be an integer in 1..${MAX_CREDIT}`, {
      details: { bytes: describeValue(bytes) },
    })
  }
  return encodeUint32Message(MESSAGE_CREDIT, bytes)
}

export function encodePing(nonce: number): Uint8Array {
  return encodeUint32Message(MESSAGE_PING, nonce >>> 0)
}

export function encodePong(nonce: number): Uint8Array {
  return encodeUint32Message(MESSAGE_PONG, nonce >>> 0)
}

/**
 * Turns stream chunks into messages. Bounded: a message longer than
 * `maxFrameBytes + 1`, or more than `maxBufferBytes` buffered while waiting
 * for the rest of one, throws (the link then aborts the stream).
 */
export class LinkMessageDecoder {
  readonly #decoder: LengthPrefixedDecoder
  readonly #maxFrameBytes: number

  constructor(maxFrameBytes: number, maxBufferBytes: number) {
    this.#maxFrameBytes = maxFrameBytes
    this.#decoder = new LengthPrefixedDecoder({
      maxDataLength: maxFrameBytes + 1,
      maxBufferSize: maxBufferBytes,
    })
  }

  /** Every complete message in `chunk` (and what earlier chunks left over). */
  decode(chunk: StreamChunk): LinkMessage[] {
    const messages: LinkMessage[] = []
    try {
      for (const bytes of this.#decoder.decode(chunk)) {
        // A DATA frame is copied out of the transport's buffers, which may be
        // reused: the reader owns it and may transfer its ArrayBuffer whole.
        messages.push(
          bytes.get(0) === MESSAGE_DATA
            ? { type: 'data', frame: ownedCopy(bytes.sublist(1)) }
            : parseMessage(bytes.subarray()),
        )
      }
    } catch (err) {
      throw this.#decodeFailure(err)
    }
    return messages
  }

  #decodeFailure(err: unknown): Error {
    if (err instanceof LinkProtocolError) return err
    if (err instanceof Error && err.name === 'InvalidMessageLengthError') {
      return new FrameTooLargeError(`peer sent a message over ${this.#maxFrameBytes + 1} bytes`, {
        cause: err,
        details: { maxFrameBytes: this.#maxFrameBytes },
      })
    }
    const message = err instanceof Error ? err.message : String(err)
    return new LinkProtocolError(`undecodable stream: ${message}`, { cause: err })
  }
}

/** A fresh Uint8Array over its own ArrayBuffer (never a pooled Node Buffer). */
function ownedCopy(chunks: Iterable<Uint8Array> & { readonly byteLength: number }): Uint8Array {
  const out = new Uint8Array(chunks.byteLength)
  let offset = 0
  for (const chunk of chunks) {
    out.set(chunk, offset)
    offset += chunk.byteLength
  }
  return out
}

export function parseMessage(bytes: Uint8Array): LinkMessage {
  const type = bytes[0]
  if (type === MESSAGE_DATA) return { type: 'data', frame: bytes.subarray(1) }
  if (bytes.byteLength === 5) {
    const value = new DataView(bytes.buffer, bytes.byteOffset, 5).getUint32(1)
    if (type === MESSAGE_CREDIT && value > 0) return { type: 'credit', bytes: value }
    if (type === MESSAGE_PING) return { type: 'ping', nonce: value }
    if (type === MESSAGE_PONG) return { type: 'pong', nonce: value }
  }
  throw new LinkProtocolError('peer sent an unknown or malformed message', {
    details: { type: describeValue(type), length: bytes.byteLength },
  })
}
