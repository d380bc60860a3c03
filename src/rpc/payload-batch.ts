/**
 * Payloads from the page to the worker, packed: one ArrayBuffer holding
 * every payload back to back plus their lengths, transferred rather than
 * cloned. Structured-cloning thousands of small Uint8Arrays costs the main
 * thread per object; one memcpy and one transfer cost it almost nothing.
 * The caller's own buffers are copied, never detached.
 */
import { describeValue, InvalidArgumentError } from '../core/errors.js'

export interface PayloadBatch {
  readonly bytes: ArrayBuffer
  readonly lengths: Uint32Array
}

export function packPayloads(payloads: readonly Uint8Array[]): PayloadBatch {
  let total = 0
  for (const [index, payload] of payloads.entries()) {
    if (!(payload instanceof Uint8Array)) {
      throw new InvalidArgumentError('a payload must be a Uint8Array', {
        details: { index, value: describeValue(payload) },
      })
    }
    total += payload.byteLength
  }
  const bytes = new Uint8Array(total)
  const lengths = new Uint32Array(payloads.length)
  let offset = 0
  payloads.forEach((payload, index) => {
    bytes.set(payload, offset)
    lengths[index] = payload.byteLength
    offset += payload.byteLength
  })
  return { bytes: bytes.buffer, lengths }
}

/** The buffers to transfer with a batch. */
export function payloadTransfers(batch: PayloadBatch): Transferable[] {
  return [batch.bytes, batch.lengths.buffer as ArrayBuffer]
}

/** Views into the batch's buffer, one per payload; throws on a batch that does not add up. */
export function unpackPayloads(batch: PayloadBatch): Uint8Array[] {
  if (!(batch?.bytes instanceof ArrayBuffer) || !(batch.lengths instanceof Uint32Array)) {
    throw new InvalidArgumentError('not a payload batch', {
      details: { value: describeValue(batch) },
    })
  }
  let total = 0
  for (const length of batch.lengths) total += length
  if (total !== batch.bytes.byteLength) {
    throw new InvalidArgumentError('payload lengths do not add up to the batch size', {
      details: { lengths: total, bytes: batch.bytes.byteLength },
    })
  }
  const out: Uint8Array[] = []
  let offset = 0
  for (const length of batch.lengths) {
    out.push(new Uint8Array(batch.bytes, offset, length))
    offset += length
  }
  return out
}
