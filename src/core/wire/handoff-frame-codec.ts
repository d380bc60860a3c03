/**
 * Body of the leadership hand-off frame (kind 6, see
 * replication/handoff-message.ts): the successor's peer id, the tail seq as
 * a varint, then the 32-byte hash of the entry before it. `frame-codec.ts` writes the envelope and the
 * channel id; the decoder checks every field and throws only DecodeError.
 */
import { describeValue, InvalidArgumentError } from '../errors.js'
import { HASH_BYTES } from '../log/entry.js'
import {
  type ChannelId,
  isSeqNumber,
  MAX_PEER_ID_LENGTH,
  type PeerId,
  peerId,
  type Seq,
} from '../log/ids.js'
import type { LeaderHandoff } from '../replication/handoff-message.js'
import type { ByteReader } from './byte-reader.js'
import type { ByteWriter } from './byte-writer.js'
import { DecodeError } from './decode-error.js'

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
  w.string(peerId(message.successor))
  w.varint(message.tailSeq)
  w.bytes(message.lastHash)
}

export function decodeHandoffBody(r: ByteReader, channel: ChannelId): HandoffWireFrame {
  const text = r.string(MAX_PEER_ID_LENGTH * 3, 'successor')
  let successor: PeerId
  try {
    successor = peerId(text)
  } catch {
    throw new DecodeError('bad-id', 'successor is not a valid peer id', { offset: r.offset })
  }
  const tailSeq = r.varint('tailSeq') as Seq
  const lastHash = r.bytes(HASH_BYTES, 'lastHash')
  return { kind: 'leader-handoff', message: { channelId: channel, successor, tailSeq, lastHash } }
}
