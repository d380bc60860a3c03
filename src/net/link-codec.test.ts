import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../core/errors.js'
import {
  encodeCredit,
  encodeDataHeader,
  encodePing,
  encodePong,
  encodeVarint,
  type LinkMessage,
  LinkMessageDecoder,
} from './link-codec.js'
import { FrameTooLargeError, LinkProtocolError } from './net-errors.js'

function dataMessage(frame: Uint8Array): Uint8Array {
  const header = encodeDataHeader(frame.byteLength)
  const out = new Uint8Array(header.byteLength + frame.byteLength)
  out.set(header)
  out.set(frame, header.byteLength)
  return out
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.byteLength
  }
  return out
}

describe('encoding', () => {
  it('writes unsigned LEB128 varints', () => {
    expect([...encodeVarint(0)]).toEqual([0])
    expect([...encodeVarint(127)]).toEqual([127])
    expect([...encodeVarint(128)]).toEqual([0x80, 1])
    expect([...encodeVarint(300)]).toEqual([0xac, 0x02])
    expect([...encodeVarint(2 ** 32)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x10])
    expect(() => encodeVarint(-1)).toThrow(InvalidArgumentError)
  })

  it('frames control messages as length, type, uint32', () => {
    expect([...encodeCredit(0x01020304)]).toEqual([5, 1, 1, 2, 3, 4])
    expect([...encodePing(7)]).toEqual([5, 2, 0, 0, 0, 7])
    expect([...encodePong(7)]).toEqual([5, 3, 0, 0, 0, 7])
    expect(() => encodeCredit(0)).toThrow(InvalidArgumentError)
  })
})

describe('decoding', () => {
  it('recovers every message whatever the chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 20 }),
        (frames, cuts) => {
          const stream = concat([
            encodeCredit(99),
            ...frames.map(dataMessage),
            encodePing(1),
            encodePong(2),
          ])
          const decoder = new LinkMessageDecoder(1 << 16, 1 << 20)
          const out: LinkMessage[] = []
          let at = 0
          for (let i = 0; at < stream.byteLength; i++) {
            const size = cuts[i % cuts.length] ?? 1
            out.push(...decoder.decode(stream.subarray(at, at + size)))
            at += size
          }
          expect(out).toEqual([
            { type: 'credit', bytes: 99 },
            ...frames.map((frame) => ({ type: 'data', frame })),
            { type: 'ping', nonce: 1 },
            { type: 'pong', nonce: 2 },
          ])
        },
      ),
    )
  })

  it('rejects a message longer than the frame limit before buffering it', () => {
    const decoder = new LinkMessageDecoder(1000, 1 << 20)
    expect(() => decoder.decode(encodeVarint(1002))).toThrow(FrameTooLargeError)
  })

  it('rejects unknown types and malformed control messages', () => {
    expect(() => new LinkMessageDecoder(1000, 1 << 20).decode(Uint8Array.of(1, 9))).toThrow(
      LinkProtocolError,
    )
    expect(() => new LinkMessageDecoder(1000, 1 << 20).decode(Uint8Array.of(2, 1, 0))).toThrow(
      LinkProtocolError,
    )
    expect(() =>
      new LinkMessageDecoder(1000, 1 << 20).decode(Uint8Array.of(5, 1, 0, 0, 0, 0)),
    ).toThrow(LinkProtocolError)
  })
})
