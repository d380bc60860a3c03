import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../core/errors.js'
import { packPayloads, payloadTransfers, unpackPayloads } from './payload-batch.js'

describe('payload batches', () => {
  it('round-trip payloads of any size, empty ones included, as views into one buffer', () => {
    const payloads = [Uint8Array.of(1, 2, 3), new Uint8Array(0), new Uint8Array(1000).fill(9)]
    const batch = packPayloads(payloads)
    expect(batch.bytes.byteLength).toBe(1003)
    const back = unpackPayloads(structuredClone(batch, { transfer: payloadTransfers(batch) }))
    expect(back).toEqual(payloads)
    expect(new Set(back.map((p) => p.buffer)).size).toBe(1)
  })

  it('copies views, never the rest of their buffer, and never detaches the caller’s bytes', () => {
    const big = new Uint8Array(4096).fill(5)
    const batch = packPayloads([big.subarray(10, 20)])
    expect(batch.bytes.byteLength).toBe(10)
    structuredClone(batch, { transfer: payloadTransfers(batch) })
    expect(big.byteLength).toBe(4096)
  })

  it('refuses what is not a Uint8Array, and batches whose lengths do not add up', () => {
    expect(() => packPayloads(['text' as unknown as Uint8Array])).toThrow(InvalidArgumentError)
    const batch = packPayloads([Uint8Array.of(1, 2)])
    expect(() => unpackPayloads({ bytes: batch.bytes, lengths: Uint32Array.of(5) })).toThrow(
      /do not add up/,
    )
    expect(() => unpackPayloads({} as never)).toThrow(InvalidArgumentError)
  })
})
