import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, type PeerId, peerId, type Seq } from '../log/ids.js'
import { testLogWriter } from '../log/test-entries.js'
import { ByteWriter } from './byte-writer.js'
import { DecodeError } from './decode-error.js'
import { decodeFrame, encodeFrame, FRAME_KIND_CODES, type WireFrame } from './frame-codec.js'
import { SESSION_FRAME_KIND_CODES } from './sync-frame-codec.js'
import { sessionFrames } from './wire-arbitraries.js'
import { WIRE_VERSION } from './wire-limits.js'

const CH = channelId('wire-test')
let hasher: EntryHasher

beforeAll(async () => {
  hasher = await loadEntryHasher()
})

function entries(count: number, firstSeq = 0, size = 20): Entry[] {
  return testLogWriter(hasher, CH, peerId('12D3KooWAuthorAuthorAuthorAuthorAuthorAuthorAuthorAu'), {
    nextSeq: firstSeq as Seq,
    lastHash: GENESIS_HASH,
  }).next(count, size)
}

function chunk(list: Entry[], treeSize: number, proof: Uint8Array[] = []): WireFrame {
  return {
    kind: 'sync-chunk',
    message: {
      channelId: CH,
      sessionId: 0x0123_4567_89ab_cdefn,
      requestSeq: 3,
      firstSeq: (list[0]?.seq ?? 0) as Seq,
      treeSize,
      proof,
      entries: list,
    },
  }
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

describe('sync session and epoch frames round-trip', () => {
  it('the sync session and epoch frames decode to what was encoded', () => {
    fc.assert(
      fc.property(sessionFrames, (frame) => {
        expect(decodeFrame(encodeFrame(frame))).toEqual(frame)
      }),
    )
    const proof = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)]
    const signed = entries(30, 500).map((e, i) =>
      i === 7 ? { ...e, signature: new Uint8Array(64).fill(9) } : e,
    )
    expect(decodeFrame(encodeFrame(chunk(signed, 2000, proof)))).toEqual(chunk(signed, 2000, proof))
  })

  it('keeps the replication codes and gives sync and epoch frames codes from 16 up', () => {
    expect(FRAME_KIND_CODES).toMatchObject(SESSION_FRAME_KIND_CODES)
    expect(FRAME_KIND_CODES).toMatchObject({
      heartbeat: 1,
      'sync-request': 2,
      'sync-response': 3,
      'sync-nack': 4,
    })
    const sessionCodes = Object.values(SESSION_FRAME_KIND_CODES)
    expect(sessionCodes).toHaveLength(9)
    expect(Math.min(...sessionCodes)).toBe(16)
    expect(new Set(Object.values(FRAME_KIND_CODES)).size).toBe(Object.keys(FRAME_KIND_CODES).length)
  })
})

describe('encodeFrame refuses session frames a decoder would refuse', () => {
  it('refuses session frames a decoder would refuse: empty chunks, chunks past their tree, bad sets', () => {
    expect(() => encodeFrame(chunk([], 10))).toThrow(/at least one entry/)
    expect(() => encodeFrame(chunk(entries(5, 8), 10))).toThrow(/past its tree/)
    const set = (replicaSet: PeerId[]): WireFrame => ({
      kind: 'epoch-propose',
      message: { channelId: CH, rotationId: 1n, epoch: 2, replicaSet },
    })
    expect(() => encodeFrame(set([]))).toThrow(/1 to 256/)
    expect(() => encodeFrame(set([peerId('a'), peerId('a')]))).toThrow(/repeat/)
    expect(() =>
      encodeFrame({
        kind: 'sync-head',
        message: {
          channelId: CH,
          sessionId: 1n,
          head: { size: 1, root: new Uint8Array(32) },
          prefix: { size: 2, root: new Uint8Array(32) },
          consistency: [],
        },
      }),
    ).toThrow(/prefix/)
  })
})

describe('decodeFrame validates session frame fields', () => {
  const header = (kind: number) => new ByteWriter().u8(WIRE_VERSION).u8(kind)

  it('names each kind of damage', () => {
    // A fetch that starts past its own tree.
    expect(
      failureOf(
        header(18).string('c').u64(1n).varint(1).varint(9).varint(9).varint(1).varint(1).finish(),
      ),
    ).toBe('inconsistent')
    // A consistency proof longer than any honest one.
    expect(
      failureOf(
        header(17)
          .string('c')
          .u64(1n)
          .varint(4)
          .bytes(new Uint8Array(32))
          .varint(2)
          .bytes(new Uint8Array(32))
          .varint(200)
          .finish(),
      ),
    ).toBe('over-limit')
    // A replica set that names a peer twice.
    expect(
      failureOf(
        header(21).string('c').u64(1n).varint(1).varint(2).string('p').string('p').finish(),
      ),
    ).toBe('inconsistent')
  })
})
