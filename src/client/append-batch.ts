/**
 * What one append call may carry, checked on the page before anything is
 * copied or sent: a bounded batch of Uint8Array payloads, packed into one
 * transferable buffer (rpc/payload-batch.ts).
 */
import { describeValue, InvalidArgumentError } from '../core/errors.js'
import type { ChannelId } from '../core/log/ids.js'
import { MAX_PAYLOAD_BYTES } from '../core/wire/wire-limits.js'
import { type PayloadBatch, packPayloads } from '../rpc/payload-batch.js'

/** Most payloads in one `appendMany` (one store transaction, one leader job). */
export const APPEND_MAX_ENTRIES = 4096
/** Most payload bytes in one `appendMany`. */
export const APPEND_MAX_BYTES = 16 << 20

export function packAppend(channel: ChannelId, payloads: readonly Uint8Array[]): PayloadBatch {
  if (!Array.isArray(payloads) || payloads.length > APPEND_MAX_ENTRIES) {
    throw new InvalidArgumentError(`appendMany takes an array of at most ${APPEND_MAX_ENTRIES}`, {
      details: { channel, payloads: describeValue(payloads) },
    })
  }
  const oversized = payloads.findIndex((p) => p?.byteLength > MAX_PAYLOAD_BYTES)
  if (oversized >= 0) {
    throw new InvalidArgumentError(`a payload may hold at most ${MAX_PAYLOAD_BYTES} bytes`, {
      details: { channel, index: oversized },
    })
  }
  const batch = packPayloads(payloads)
  if (batch.bytes.byteLength > APPEND_MAX_BYTES) {
    throw new InvalidArgumentError(`one append may carry at most ${APPEND_MAX_BYTES} bytes`, {
      details: { channel, bytes: batch.bytes.byteLength },
    })
  }
  return batch
}
