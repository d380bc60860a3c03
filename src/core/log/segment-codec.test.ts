import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Entry } from './entry.js'
import { GENESIS_HASH } from './entry.js'
import { sealEntries } from './entry-chain.js'
import { type EntryHasher, loadEntryHasher } from './entry-hasher.js'
import { channelId, peerId, type Seq } from './ids.js'
import { CorruptLogError } from './log-errors.js'
import { packEntries } from './run-pack.js'
import { decodeSegment, encodeSegment, extendSegment, type SegmentRecord } from './segment-codec.js'

const CH = channelId('segments')
let hasher: EntryHasher

beforeAll(async () => {
  hasher = await loadEntryHasher()
})

function entries(count: number, start = 0): Entry[] {
  const drafts = Array.from({ length: count }, (_, i) => ({
    author: peerId(i % 3 === 0 ? 'alice' : 'bob'),
    authorSeq: 2 ** 40 + i,
    payload: new Uint8Array(i % 200).fill(i & 0xff),
  }))
  return sealEntries(hasher, CH, { nextSeq: start as Seq, lastHash: GENESIS_HASH }, drafts)
}

describe('segment codec', () => {
  it('round-trips entries, authors, large authorSeqs and signatures', () => {
    const list = entries(300, 17).map((e, i) =>
      i % 5 === 0 ? { ...e, signature: new Uint8Array(64).fill(i) } : e,
    )
    const record = encodeSegment(hasher, list)
    expect(record).toMatchObject({
      channel: CH,
      firstSeq: 17,
      count: 300,
      authors: ['alice', 'bob'],
    })
    const back = decodeSegment(hasher, record)
    expect(back).toEqual(list)
  })

  it('keeps any payload sizes and authorSeqs intact', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ size: fc.integer({ min: 0, max: 5000 }), authorSeq: fc.maxSafeNat() }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (specs) => {
          const drafts = specs.map((s, i) => ({
            author: peerId(`p${i % 4}`),
            authorSeq: s.authorSeq,
            payload: new Uint8Array(s.size).fill(i),
          }))
          const list = sealEntries(
            hasher,
            CH,
            { nextSeq: 0 as Seq, lastHash: GENESIS_HASH },
            drafts,
          )
          expect(decodeSegment(hasher, encodeSegment(hasher, list))).toEqual(list)
        },
      ),
      { numRuns: 40 },
    )
    // Deep equality of up to 150 KB of payload per run: seconds on a busy CI machine.
  }, 30_000)

  it('detects any single flipped byte with CorruptLogError', () => {
    const record = encodeSegment(hasher, entries(40))
    for (let i = 0; i < record.data.byteLength; i += 7) {
      const data = record.data.slice()
      data[i] = (data[i] as number) ^ 0x01
      expect(() => decodeSegment(hasher, { ...record, data })).toThrow(CorruptLogError)
    }
  })

  it('detects damaged header fields', () => {
    const record = encodeSegment(hasher, entries(10))
    const damaged: SegmentRecord[] = [
      { ...record, firstSeq: record.firstSeq + 1 },
      { ...record, count: record.count - 1 },
      { ...record, authors: ['mallory', 'bob'] },
      { ...record, lastHash: new Uint8Array(32) },
      { ...record, payloadBytes: record.payloadBytes + 1 },
      { ...record, format: 99 },
      { ...record, data: record.data.subarray(0, record.data.byteLength - 1) },
    ]
    for (const r of damaged) expect(() => decodeSegment(hasher, r)).toThrow(CorruptLogError)
  })
})

describe('extendSegment', () => {
  it('equals encoding the whole run at once, with new authors appended to the table', () => {
    const list = entries(50)
    const rest = list.slice(30)
    const head = encodeSegment(hasher, list.slice(0, 30))
    const grown = extendSegment(hasher, [head], packEntries(CH, rest))
    expect(grown).toEqual(encodeSegment(hasher, list))
    expect(decodeSegment(hasher, grown)).toEqual(list)
  })

  it('merges several consecutive segments and a run into one', () => {
    const list = entries(50)
    const parts = [list.slice(0, 7), list.slice(7, 9), list.slice(9, 40)].map((part) =>
      encodeSegment(hasher, part),
    )
    const merged = extendSegment(hasher, parts, packEntries(CH, list.slice(40)))
    expect(merged).toEqual(encodeSegment(hasher, list))
  })

  it('adds authors the old segment did not have', () => {
    const head = sealEntries(hasher, CH, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }, [
      { author: peerId('alice'), authorSeq: 0, payload: new Uint8Array(3) },
    ])
    const tail = sealEntries(hasher, CH, { nextSeq: 1 as Seq, lastHash: (head[0] as Entry).hash }, [
      { author: peerId('carol'), authorSeq: 0, payload: new Uint8Array(4) },
    ])
    const grown = extendSegment(hasher, [encodeSegment(hasher, head)], packEntries(CH, tail))
    expect(grown.authors).toEqual(['alice', 'carol'])
    expect(decodeSegment(hasher, grown)).toEqual([...head, ...tail])
  })
})
