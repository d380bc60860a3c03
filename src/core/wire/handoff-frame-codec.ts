/**
 * Body of the leadership hand-off frame (kind 6, see
 * replication/handoff-message.ts): tail seq as a varint, then the 32-byte
 * hash of the entry before it. `frame-codec.ts` writes the envelope and the
 * channel id; the decoder checks every field and throws only DecodeError.
 */
import { describeValue, InvalidArgumentError } from '../errors.js'
import { HASH_BYTES } from '../log/entry.js'
import { type ChannelId, isSeqNumber, type Seq } from '../log/ids.js'
import type { LeaderHandoff } from '../replication/handoff-message.js'
import type { ByteReader } from './byte-reader.js'
import type { ByteWriter } from './byte-writer.js'

export interface HandoffWireFrame {
  readonly kind: 'leader-handoff'
  readonly message: LeaderHandoff
}

/** Wire code of the hand-off frame; never reuse a retired code. */
export const HANDOFF_FRAME_KIND_CODE = 6

export function encodeHandoffBody(w: ByteWriter, message: LeaderHandoff): void {
  if (!isSeqNumber(message.tailSeq)) {
    throw new InvalidArgumentError('cannot encode frame: tailSeq must be a non-negative integer', {
      details: { value: describeValue(message.tailSeq) },
    })
  }
  if (!(message.lastHash instanceof Uint8Array) || message.lastHash.byteLength !== HASH_BYTES) {
    throw new InvalidArgumentError(`cannot encode frame: lastHash must be ${HASH_BYTES} bytes`, {
      details: { value: describeValue(message.lastHash) },
    })
  }
  w.varint(message.tailSeq)
  w.bytes(message.lastHash)
}

export function decodeHandoffBody(r: ByteReader, channel: ChannelId): HandoffWireFrame {
  const tailSeq = r.varint('tailSeq') as Seq
  const lastHash = r.bytes(HASH_BYTES, 'lastHash')
  return { kind: 'leader-handoff', message: { channelId: channel, tailSeq, lastHash } }
}
