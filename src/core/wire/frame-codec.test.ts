import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Entry } from '../log/entry.js'
import { GENESIS_HASH } from '../log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, peerId, type Seq } from '../log/ids.js'
import { packEntries } from '../log/run-pack.js'
import { trimAuthors } from '../log/run-repack.js'
import { testLogWriter } from '../log/test-entries.js'
import type { SyncResponse } from '../replication/messages.js'
import { packedSyncResponse } from '../replication/packed-response.js'
import { PROPOSE_MAX_BYTES, PROPOSE_MAX_ENTRIES } from '../replication/propose-message.js'
import { ByteWriter } from './byte-writer.js'
import { DecodeError } from './decode-error.js'
import { decodeFrame, encodeFrame, syncResponseFrameBytes, type WireFrame } from './frame-codec.js'
import { proposeFrames, sessionFrames, smallFrames } from './wire-arbitraries.js'
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

  it('lists each author once: a 100-entry response of one author is far smaller than its ids', () => {
    const bytes = encodeFrame(response(entries(100, 0, 10)))
    expect(bytes.byteLength).toBeLessThan(100 * (10 + 8) + 200)
  })

  it('sends a response without per-entry hashes; the receiver computes the same ones', () => {
    const list = entries(50, 7, 100)
    const run = packEntries(CH, list)
    const bytes = encodeFrame(response(list))
    // One hash (the last) instead of fifty.
    expect(bytes.byteLength).toBeLessThan(run.bytes().byteLength - 49 * 32 + 200)
    const withWasm = decodeFrame(bytes, hasher)
    const withJs = decodeFrame(bytes)
    expect(withWasm).toEqual(response(list))
    expect(withJs).toEqual(withWasm)
  })

  it('refuses a response that ends before its last hash', () => {
    const bytes = encodeFrame(response(entries(3)))
    expect(failureOf(bytes.subarray(0, bytes.byteLength - 33))).not.toBe('accepted')
    expect(failureOf(bytes.subarray(0, bytes.byteLength - 1))).not.toBe('accepted')
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

describe('propose frames', () => {
  const A = peerId('12D3KooWProposerProposerProposerProposerProposerPro')
  const B = peerId('author-b')
  const write = (author = A, authorSeq = 0, size = 3) => ({
    author,
    authorSeq,
    payload: new Uint8Array(size).fill(authorSeq & 0xff),
  })
  const propose = (entries: ReturnType<typeof write>[]): WireFrame => ({
    kind: 'propose',
    message: { channelId: CH, entries },
  })
  const header = () => new ByteWriter().u8(WIRE_VERSION).u8(5).string('c')

  it('round-trip every write, signature and author, in the order sent', () => {
    fc.assert(
      fc.property(proposeFrames, (frame) => {
        expect(decodeFrame(encodeFrame(frame))).toEqual(frame)
      }),
    )
    const signed = { ...write(B, 9), signature: new Uint8Array(64).fill(1) }
    const frame = propose([write(A, 2), signed, write(A, 1)])
    expect(decodeFrame(encodeFrame(frame))).toEqual(frame)
  })

  it('are bounded: the encoder refuses an empty, oversized or repeating batch', () => {
    expect(() => encodeFrame(propose([]))).toThrow(/1 to/)
    const many = Array.from({ length: PROPOSE_MAX_ENTRIES + 1 }, (_, i) => write(A, i))
    expect(() => encodeFrame(propose(many))).toThrow(/1 to/)
    const big = [write(A, 0, PROPOSE_MAX_BYTES), write(A, 1, 1)]
    expect(() => encodeFrame(propose(big))).toThrow(/do not fit/)
    expect(() => encodeFrame(propose([write(A, 1), write(A, 1)]))).toThrow(/twice/)
    // One write larger than the byte cap travels alone.
    const alone = propose([write(A, 0, PROPOSE_MAX_BYTES + 1)])
    const back = decodeFrame(encodeFrame(alone))
    // Compared by size and bytes: a deep equal of a megabyte is slow.
    const payload = back.kind === 'propose' ? back.message.entries[0]?.payload : undefined
    expect(payload?.byteLength).toBe(PROPOSE_MAX_BYTES + 1)
    expect(payload?.every((b) => b === 0)).toBe(true)
  })

  it('decode strictly: empty, over-limit, repeated keys and bad fields are refused', () => {
    expect(failureOf(header().varint(0).finish())).toBe('inconsistent')
    expect(
      failureOf(
        header()
          .varint(PROPOSE_MAX_ENTRIES + 1)
          .bytes(new Uint8Array(4 * (PROPOSE_MAX_ENTRIES + 2)))
          .finish(),
      ),
    ).toBe('over-limit')
    const twice = header().varint(2).varint(1).string('a')
    for (let i = 0; i < 2; i++) twice.varint(0).varint(4).u8(0).blob(Uint8Array.of(1))
    expect(failureOf(twice.finish())).toBe('inconsistent')
    expect(
      failureOf(
        header().varint(1).varint(1).string('a').varint(1).varint(4).u8(0).varint(0).finish(),
      ),
    ).toBe('bad-enum')
    expect(
      failureOf(
        header().varint(1).varint(1).string('a').varint(0).varint(4).u8(2).varint(0).finish(),
      ),
    ).toBe('bad-enum')
    expect(failureOf(header().varint(1).varint(0).finish())).toBe('over-limit')
    expect(
      failureOf(
        header().varint(1).varint(1).string('a').varint(0).varint(4).u8(1).varint(0).finish(),
      ),
    ).toBe('truncated')
    const heavy = header().varint(2).varint(1).string('a')
    heavy.varint(0).varint(0).u8(0).blob(new Uint8Array(PROPOSE_MAX_BYTES))
    heavy.varint(0).varint(1).u8(0).blob(Uint8Array.of(1))
    expect(failureOf(heavy.finish())).toBe('over-limit')
  })
})

describe('fuzz: random and mutated frames', () => {
  // Each rejection builds a DecodeError, stack trace included: seconds on a busy machine.
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
    // Propose bases last, so the counts can tell their rejections apart.
    const proposeBases = fc.sample(proposeFrames, { numRuns: 20, seed: seed + 2 }).map(encodeFrame)
    const proposeCount = proposeBases.length
    frames.push(...proposeBases)
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
          if (baseIndex >= frames.length - proposeCount && mode !== 0) {
            counts.proposeRejected = (counts.proposeRejected ?? 0) + 1
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
    expect(counts.proposeRejected ?? 0).toBeGreaterThan(5_000)
    for (const failure of ['truncated', 'trailing-bytes', 'unknown-kind', 'bad-enum']) {
      expect(counts[failure] ?? 0, failure).toBeGreaterThan(0)
    }
  }, 30_000)
})

describe('a packed sync response', () => {
  it('decodes when it carries a slice of a run with more authors than entries', () => {
    // Authors changed after sealing: the hashes no longer hold, but the chain does.
    const others = entries(3, 0, 10).map((e, i) => ({ ...e, author: peerId(`other-${i}`) }))
    const run = packEntries(CH, others).slice(2)
    const message = packedSyncResponse(
      { channelId: CH, firstSeq: 2 as Seq, leaderFirstRetainedSeq: 0 as Seq, requestId: 7n },
      run,
    )
    const frame = decodeFrame(encodeFrame({ kind: 'sync-response', message }))
    expect(frame.kind === 'sync-response' && frame.message.entries.map((e) => e.author)).toEqual([
      'other-2',
    ])
  })

  it('is written into a buffer of exactly its size, so no copy ends the encoding', () => {
    const channel = channelId('çhannel ✓ wire')
    const tail = { nextSeq: 300 as Seq, lastHash: GENESIS_HASH }
    const written = testLogWriter(hasher, channel, peerId('author-a'), tail).next(40, 9)
    const mixed = written.map((e, i) => (i % 3 === 0 ? { ...e, author: peerId(`author-${i}`) } : e))
    const run = packEntries(channel, mixed)
    for (const [part, firstSeq, retained] of [
      [run, 300, 0],
      [run.slice(5, 17), 305, 200],
      [run.slice(40), 340, 2 ** 40],
    ] as const) {
      const message = packedSyncResponse(
        {
          channelId: channel,
          firstSeq: firstSeq as Seq,
          leaderFirstRetainedSeq: retained as Seq,
          requestId: 2n ** 63n,
        },
        part,
      )
      const bytes = encodeFrame({ kind: 'sync-response', message })
      expect(syncResponseFrameBytes(message, trimAuthors(part))).toBe(bytes.byteLength)
      expect(bytes.buffer.byteLength).toBe(bytes.byteLength)
    }
  })
})
