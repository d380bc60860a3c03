import { describe, expect, it } from 'vitest'
import { peerId } from '../core/log/ids.js'
import { DecodeError } from '../core/wire/decode-error.js'
import { decodeFrameBatch, encodeFrameBatch } from './frame-batch.js'

describe('frame batches for the worker port', () => {
  it('round-trip peers and frames, in order, including empty and large frames', () => {
    const items = [
      { peer: peerId('12D3KooWpeerone'), frame: Uint8Array.of(1, 2, 3) },
      { peer: peerId('peer-two'), frame: new Uint8Array(0) },
      { peer: peerId('peer-ü'), frame: new Uint8Array(200_000).fill(7) },
    ]
    const back = decodeFrameBatch(encodeFrameBatch(items))
    expect(back.map((i) => i.peer)).toEqual(items.map((i) => i.peer))
    expect(back.map((i) => Array.from(i.frame.subarray(0, 3)))).toEqual([[1, 2, 3], [], [7, 7, 7]])
    expect(back[2]?.frame.byteLength).toBe(200_000)
    expect(decodeFrameBatch(encodeFrameBatch([]))).toEqual([])
  })

  it('rejects malformed batches with DecodeError', () => {
    const good = new Uint8Array(encodeFrameBatch([{ peer: peerId('p'), frame: Uint8Array.of(1) }]))
    expect(() => decodeFrameBatch(good.slice(0, good.byteLength - 1).buffer)).toThrow(DecodeError)
    expect(() => decodeFrameBatch(Uint8Array.of(...good, 0).buffer)).toThrow(DecodeError)
    expect(() => decodeFrameBatch(Uint8Array.of(1, 2, 10, 13, 1, 1).buffer)).toThrow(DecodeError)
    expect(() => decodeFrameBatch(Uint8Array.of(200).buffer)).toThrow(DecodeError)
  })
})
