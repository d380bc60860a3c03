import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Entry } from '../log/entry.js'
import { GENESIS_HASH } from '../log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId, type Seq } from '../log/ids.js'
import { testLogWriter } from '../log/test-entries.js'
import {
  BANDWIDTH_CLASSES,
  NACK_REASONS,
  REPLICA_ROLES,
  type SyncResponse,
} from '../replication/messages.js'
import { EPOCH_ABORT_REASONS } from '../sync/epoch/epoch-messages.js'
import { SYNC_CLOSE_REASONS } from '../sync/protocol/sync-messages.js'
import { ByteWriter } from './byte-writer.js'
import { DecodeError } from './decode-error.js'
import { decodeFrame, encodeFrame, FRAME_KIND_CODES, type WireFrame } from './frame-codec.js'
import { MAX_FRAME_BYTES, WIRE_VERSION } from './wire-limits.js'

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

function response(list: Entry[], firstSeq = list[0]?.seq ?? 0): WireFrame {
  const message: SyncResponse = {
    channelId: CH,
    firstSeq: firstSeq as Seq,
    leaderFirstRetainedSeq: 0 as Seq,
    entries: list,
    requestId: 0xfedc_ba98_7654_3210n,
  }
  return { kind: 'sync-response', message }
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

const seq = fc.maxSafeNat().map((n) => n as Seq)
const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
const channel = fc
  .string({ minLength: 1, maxLength: 200, unit: 'grapheme' })
  .filter((s) => {
    try {
      channelId(s)
      return true
    } catch {
      return false
    }
  })
  .map((s) => s as ChannelId)

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 })
const hashes = fc.array(hash, { maxLength: 20 })
const size = fc.nat({ max: 2 ** 40 })
const head = fc.record({ size, root: hash })
const peer = fc.stringMatching(/^[A-Za-z0-9]{1,60}$/).map((s) => peerId(s))
const replicaSet = fc.uniqueArray(peer, { minLength: 1, maxLength: 8 })

const sessionFrames: fc.Arbitrary<WireFrame> = fc.oneof(
  fc.record({
    kind: fc.constant('sync-open' as const),
    message: fc.record({ channelId: channel, sessionId: u64, head }),
  }),
  fc.record({
    kind: fc.constant('sync-head' as const),
    message: fc
      .record({ channelId: channel, sessionId: u64, head, prefix: head, consistency: hashes })
      .map((m) => ({ ...m, prefix: { ...m.prefix, size: Math.min(m.prefix.size, m.head.size) } })),
  }),
  fc.record({
    kind: fc.constant('sync-fetch' as const),
    message: fc
      .record({
        channelId: channel,
        sessionId: u64,
        requestSeq: fc.nat(),
        fromSeq: size,
        span: fc.integer({ min: 1, max: 1000 }),
        maxEntries: fc.integer({ min: 1, max: 4096 }),
        maxBytes: fc.integer({ min: 1, max: 1 << 24 }),
      })
      .map(({ span, ...m }) => ({ ...m, fromSeq: m.fromSeq as Seq, treeSize: m.fromSeq + span })),
  }),
  fc.record({
    kind: fc.constant('sync-close' as const),
    message: fc.record({
      channelId: channel,
      sessionId: u64,
      reason: fc.constantFrom(...SYNC_CLOSE_REASONS),
      detail: fc.string({ maxLength: 256 }),
    }),
  }),
  fc.record({
    kind: fc.constantFrom('epoch-propose' as const, 'epoch-commit' as const),
    message: fc.record({ channelId: channel, rotationId: u64, epoch: fc.maxSafeNat(), replicaSet }),
  }),
  fc.record({
    kind: fc.constant('epoch-confirm' as const),
    message: fc.record({ channelId: channel, rotationId: u64, epoch: fc.maxSafeNat() }),
  }),
  fc.record({
    kind: fc.constant('epoch-abort' as const),
    message: fc.record({
      channelId: channel,
      rotationId: u64,
      epoch: fc.maxSafeNat(),
      reason: fc.constantFrom(...EPOCH_ABORT_REASONS),
      detail: fc.string({ maxLength: 256 }),
    }),
  }),
) as fc.Arbitrary<WireFrame>

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

const smallFrames: fc.Arbitrary<WireFrame> = fc.oneof(
  sessionFrames,
  fc.record({
    kind: fc.constant('heartbeat' as const),
    message: fc.record({
      channelId: channel,
      tailSeq: seq,
      role: fc.constantFrom(...REPLICA_ROLES),
      wallClockMs: fc.maxSafeNat(),
    }),
  }),
  fc.record({
    kind: fc.constant('sync-request' as const),
    message: fc.record({
      channelId: channel,
      sinceSeq: seq,
      chunkMax: fc.maxSafeNat(),
      requestId: u64,
      bandwidthClass: fc.constantFrom(...BANDWIDTH_CLASSES),
    }),
  }),
  fc.record({
    kind: fc.constant('sync-nack' as const),
    message: fc.record({
      channelId: channel,
      sinceSeq: seq,
      reason: fc.constantFrom(...NACK_REASONS),
      leaderFirstRetainedSeq: seq,
      requestId: u64,
      detail: fc.string({ maxLength: 256 }),
    }),
  }),
)

describe('wire frames round-trip', () => {
  it('heartbeat, sync-request and sync-nack decode to what was encoded', () => {
    fc.assert(
      fc.property(smallFrames, (frame) => {
        expect(decodeFrame(encodeFrame(frame))).toEqual(frame)
      }),
    )
  })

  it('sync-response keeps every entry field, signatures and several authors', () => {
    const list = entries(40, 1000).map((e, i) =>
      i % 3 === 0 ? { ...e, signature: new Uint8Array(64).fill(i) } : e,
    )
    const decoded = decodeFrame(encodeFrame(response(list)))
    expect(decoded).toEqual(response(list))
    const empty = response([], 77)
    expect(decodeFrame(encodeFrame(empty))).toEqual(empty)
  })

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
    expect(FRAME_KIND_CODES).toMatchObject({
      heartbeat: 1,
      'sync-request': 2,
      'sync-response': 3,
      'sync-nack': 4,
    })
    const sessionCodes = Object.entries(FRAME_KIND_CODES)
      .filter(
        ([kind]) =>
          (kind.startsWith('sync-') &&
            !['sync-request', 'sync-response', 'sync-nack'].includes(kind)) ||
          kind.startsWith('epoch-'),
      )
      .map(([, code]) => code)
    expect(sessionCodes).toHaveLength(9)
    expect(Math.min(...sessionCodes)).toBe(16)
    expect(new Set(Object.values(FRAME_KIND_CODES)).size).toBe(Object.keys(FRAME_KIND_CODES).length)
  })

  it('lists each author once: a 100-entry response of one author is far smaller than its ids', () => {
    const bytes = encodeFrame(response(entries(100, 0, 10)))
    expect(bytes.byteLength).toBeLessThan(100 * (10 + 32 + 8) + 200)
  })
})

describe('encodeFrame refuses what a decoder would refuse', () => {
  it('rejects unchained, misnumbered and foreign entries with InvalidArgumentError', () => {
    const list = entries(3)
    const broken = [
      list[0],
      { ...(list[1] as Entry), prevHash: new Uint8Array(32) },
      list[2],
    ] as Entry[]
    expect(() => encodeFrame(response(broken))).toThrow(/does not chain/)
    expect(() => encodeFrame(response(list, 5))).toThrow(/expected 5/)
    const foreign = list.map((e) => ({ ...e, channel: channelId('elsewhere') }))
    expect(() => encodeFrame(response(foreign))).toThrow(/another channel/)
    expect(() =>
      encodeFrame({
        kind: 'sync-request',
        message: {
          channelId: CH,
          sinceSeq: 0 as Seq,
          chunkMax: 0,
          requestId: -1n,
          bandwidthClass: 'foreground',
        },
      }),
    ).toThrow(/u64/)
  })

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

describe('decodeFrame validates every field', () => {
  const valid = () =>
    encodeFrame({
      kind: 'heartbeat',
      message: { channelId: CH, tailSeq: 5 as Seq, role: 'leader', wallClockMs: 1 },
    })
  const header = (kind: number) => new ByteWriter().u8(WIRE_VERSION).u8(kind)

  it('names each kind of damage', () => {
    expect(failureOf(new Uint8Array(0))).toBe('empty')
    expect(failureOf(new Uint8Array(MAX_FRAME_BYTES + 1))).toBe('too-large')
    expect(failureOf(Uint8Array.of(99, 1))).toBe('unknown-version')
    expect(failureOf(Uint8Array.of(WIRE_VERSION, 200))).toBe('unknown-kind')
    expect(failureOf(valid().subarray(0, 6))).toBe('truncated')
    expect(failureOf(Uint8Array.of(...valid(), 0))).toBe('trailing-bytes')
    expect(failureOf(header(1).string('c').u8(0x80).u8(0x00).u8(0).u8(1).finish())).toBe(
      'bad-varint',
    )
    expect(
      failureOf(
        header(1)
          .string('c')
          .bytes(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f))
          .finish(),
      ),
    ).toBe('bad-varint')
    expect(failureOf(header(1).blob(Uint8Array.of(0xc3, 0x28)).finish())).toBe('bad-string')
    expect(failureOf(header(1).string('bad\nid').varint(1).u8(0).varint(1).finish())).toBe('bad-id')
    expect(failureOf(header(1).string('c').varint(1).u8(9).varint(1).finish())).toBe('bad-enum')
    expect(
      failureOf(
        header(3)
          .string('c')
          .varint(0)
          .varint(0)
          .u64(1n)
          .varint(1 << 30)
          .finish(),
      ),
    ).toBe('over-limit')
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
    expect(
      failureOf(
        header(3)
          .string('c')
          .varint(2 ** 53 - 2)
          .varint(0)
          .u64(1n)
          .varint(3)
          .bytes(new Uint8Array(200))
          .finish(),
      ),
    ).toBe('inconsistent')
  })

  it('refuses unknown entry flags and out-of-range author indexes', () => {
    const good = encodeFrame(response(entries(1)))
    // Layout after the fixed header: prevHash, author table, then the entry.
    const flagsAt = good.byteLength - 32 - 20 - 1 - 1
    const badFlags = good.slice()
    badFlags[flagsAt] = 0x80
    expect(failureOf(badFlags)).toBe('bad-enum')
    const badAuthor = good.slice()
    badAuthor[flagsAt - 2] = 5
    expect(failureOf(badAuthor)).toBe('bad-enum')
  })
})

describe('fuzz: random and mutated frames', () => {
  it('decode rejects with DecodeError only and counts each rejection (100,000 frames)', () => {
    const seed = Number(process.env.SEED ?? Date.now() % 2 ** 31)
    const sessionBases = [
      encodeFrame(chunk(entries(6, 40), 100, [new Uint8Array(32).fill(3)])),
      ...fc.sample(sessionFrames, { numRuns: 30, seed: seed + 1 }).map(encodeFrame),
    ]
    const frames = [
      ...sessionBases,
      ...fc.sample(smallFrames, { numRuns: 50, seed }).map(encodeFrame),
      encodeFrame(response(entries(12))),
      encodeFrame(response(entries(3).map((e) => ({ ...e, signature: new Uint8Array(64) })))),
    ]
    let state = seed >>> 0 || 1
    const next = () => {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      return state >>> 0
    }
    const counts = { accepted: 0, rejected: 0 } as Record<string, number>
    try {
      for (let i = 0; i < 100_000; i++) {
        const baseIndex = next() % frames.length
        const base = frames[baseIndex] as Uint8Array
        let bytes: Uint8Array
        const mode = next() % 5
        if (mode === 0) {
          bytes = new Uint8Array(next() % 64)
          for (let j = 0; j < bytes.length; j++) bytes[j] = next() & 0xff
        } else if (mode === 1) {
          bytes = base.subarray(0, next() % base.byteLength)
        } else if (mode === 2) {
          bytes = Uint8Array.of(
            ...base,
            ...Array.from({ length: 1 + (next() % 4) }, () => next() & 0xff),
          )
        } else {
          bytes = base.slice()
          for (let flips = 1 + (next() % 3); flips > 0; flips--) {
            bytes[next() % bytes.byteLength] = next() & 0xff
          }
        }
        try {
          decodeFrame(bytes)
          counts.accepted = (counts.accepted ?? 0) + 1
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error
          counts.rejected = (counts.rejected ?? 0) + 1
          if (baseIndex < sessionBases.length && mode !== 0) {
            counts.sessionRejected = (counts.sessionRejected ?? 0) + 1
          }
          counts[error.failure] = (counts[error.failure] ?? 0) + 1
        }
      }
    } catch (error) {
      console.error(
        `fuzz failed with seed ${seed}; replay: SEED=${seed} npx vitest run src/core/wire`,
      )
      throw error
    }
    expect((counts.accepted ?? 0) + (counts.rejected ?? 0)).toBe(100_000)
    expect(counts.rejected).toBeGreaterThan(50_000)
    expect(counts.sessionRejected ?? 0).toBeGreaterThan(10_000)
    for (const failure of ['truncated', 'trailing-bytes', 'unknown-kind', 'bad-enum']) {
      expect(counts[failure] ?? 0, failure).toBeGreaterThan(0)
    }
  })
})
