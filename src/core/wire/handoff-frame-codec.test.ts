import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { channelId, peerId, type Seq } from '../log/ids.js'
import { ByteWriter } from './byte-writer.js'
import { DecodeError } from './decode-error.js'
import { decodeFrame, encodeFrame, FRAME_KIND_CODES, type WireFrame } from './frame-codec.js'
import { handoffFrames } from './wire-arbitraries.js'
import { WIRE_VERSION } from './wire-limits.js'

const CH = channelId('handoff-wire')
const frame: WireFrame = {
  kind: 'leader-handoff',
  message: {
    channelId: CH,
    successor: peerId('successor-peer'),
    tailSeq: 1234 as Seq,
    lastHash: new Uint8Array(32).fill(9),
  },
}

function failureOf(bytes: Uint8Array): string {
  try {
    decodeFrame(bytes)
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError)
    return (error as DecodeError).failure
  }
  return 'accepted'
}

describe('the leader-handoff frame (kind 6)', () => {
  it('has wire code 6 and round-trips every valid frame', () => {
    expect(FRAME_KIND_CODES['leader-handoff']).toBe(6)
    expect(encodeFrame(frame)[1]).toBe(6)
    fc.assert(
      fc.property(handoffFrames, (f) => {
        expect(decodeFrame(encodeFrame(f))).toEqual(f)
      }),
    )
  })

  it('refuses to encode a bad tail or hash', () => {
    const bad = (message: object) =>
      expect(() => encodeFrame({ kind: 'leader-handoff', message } as WireFrame)).toThrow(
        /cannot encode frame/,
      )
    bad({ ...frame.message, tailSeq: -1 })
    bad({ ...frame.message, tailSeq: 1.5 })
    bad({ ...frame.message, lastHash: new Uint8Array(31) })
  })

  it('decodes strictly: short hash, trailing bytes, overlong varint, bad successor id', () => {
    const bytes = encodeFrame(frame)
    expect(failureOf(bytes.subarray(0, bytes.byteLength - 1))).toBe('truncated')
    expect(failureOf(Uint8Array.of(...bytes, 0))).toBe('trailing-bytes')
    const overlong = new ByteWriter(64).u8(WIRE_VERSION).u8(6).string(CH).string('next')
    overlong.u8(0x80).u8(0x00).bytes(new Uint8Array(32))
    expect(failureOf(overlong.finish())).toBe('bad-varint')
    const noSuccessor = new ByteWriter(64).u8(WIRE_VERSION).u8(6).string(CH).string('')
    noSuccessor.u8(1).bytes(new Uint8Array(32))
    expect(failureOf(noSuccessor.finish())).toBe('bad-id')
  })
})
