import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../errors.js'
import type { Entry } from './entry.js'
import { GENESIS_HASH } from './entry.js'
import { sealEntries, sealRun, verifyRun } from './entry-chain.js'
import { type EntryHasher, loadEntryHasher } from './entry-hasher.js'
import { EntryRun, type RunFaultKind } from './entry-run.js'
import { channelId, type Seq } from './ids.js'
import { HashMismatchError } from './log-errors.js'
import { packEntries } from './run-pack.js'
import { concatRuns, trimAuthors } from './run-repack.js'
import { plainEntries, sealedWrites, type TestWrite, testWrites } from './test-runs.js'

const CH = channelId('runs')
let hasher: EntryHasher

beforeAll(async () => {
  hasher = await loadEntryHasher()
})

const sealed = (list: readonly TestWrite[], firstSeq = 0): Entry[] =>
  sealedWrites(hasher, CH, list, firstSeq)

function faultOf(run: EntryRun, data: Uint8Array, count = run.count): RunFaultKind | 'none' {
  try {
    EntryRun.parse(run, data, count, (kind) => {
      throw kind
    })
    return 'none'
  } catch (kind) {
    return kind as RunFaultKind
  }
}

describe('EntryRun packs a dense, chained run of entries', () => {
  it('gives back exactly the entries it was packed from', () => {
    fc.assert(
      fc.property(testWrites, fc.nat(1000), (list, firstSeq) => {
        const entries = sealed(list, firstSeq)
        const run = packEntries(CH, entries)
        expect(plainEntries(run.entries())).toEqual(plainEntries(entries))
        expect([run.count, run.firstSeq, run.nextSeq]).toEqual([
          entries.length,
          firstSeq,
          firstSeq + entries.length,
        ])
        expect(run.payloadBytes).toBe(list.reduce((sum, w) => sum + w.size, 0))
        expect(run.signedCount).toBe(list.filter((w) => w.signed).length)
        expect(Array.from(run.lastHash)).toEqual(Array.from((entries.at(-1) as Entry).hash))
        expect(plainEntries([run.entry(entries.length - 1)])).toEqual(
          plainEntries([entries.at(-1) as Entry]),
        )
      }),
    )
  })

  it('parses its own bytes back to the same run, and nothing else', () => {
    fc.assert(
      fc.property(testWrites, (list) => {
        const run = packEntries(CH, sealed(list))
        const parsed = EntryRun.parse(run, run.bytes(), run.count, () => {
          throw new Error('refused its own bytes')
        })
        expect(plainEntries(parsed.entries())).toEqual(plainEntries(run.entries()))
        expect(faultOf(run, run.bytes().subarray(0, run.bytes().byteLength - 1))).toBe('truncated')
        expect(faultOf(run, run.bytes(), run.count - 1)).toBe('trailing-bytes')
      }),
    )
  })

  it('refuses unknown flags, author indexes outside the table and padded varints', () => {
    const run = packEntries(CH, sealed([{ author: 0, size: 3, signed: false }]))
    const bytes = run.bytes()
    // Entry 0: authorIndex 0 | authorSeq 0 | flags | length 3 | payload | hash.
    const flags = bytes.slice()
    flags[2] = 0x80
    expect(faultOf(run, flags)).toBe('bad-enum')
    const author = bytes.slice()
    author[0] = 5
    expect(faultOf(run, author)).toBe('bad-enum')
    const padded = new Uint8Array(bytes.byteLength + 1)
    padded.set([0x80, 0x00], 0)
    padded.set(bytes.subarray(1), 2)
    expect(faultOf(run, padded)).toBe('bad-varint')
  })

  it('slices, splits and concatenates without losing or moving an entry', () => {
    fc.assert(
      fc.property(
        testWrites,
        fc.nat(60),
        fc.nat(60),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 2000 }),
        (list, a, b, maxEntries, maxBytes) => {
          const entries = sealed(list)
          const run = packEntries(CH, entries)
          const [from, to] = [Math.min(a, b), Math.max(a, b)]
          const part = run.slice(from, to)
          const expected = entries.slice(from, to)
          expect(plainEntries(part.entries())).toEqual(plainEntries(expected))
          expect(part.firstSeq).toBe(Math.min(from, entries.length))
          const pieces = run.split(maxEntries, maxBytes)
          for (const piece of pieces) {
            expect(piece.count).toBeLessThanOrEqual(maxEntries)
            if (piece.count > 1) expect(piece.payloadBytes).toBeLessThanOrEqual(maxBytes)
          }
          // Pieces of other runs, with author tables in another order, join back up.
          const reordered = pieces.map((p) => packEntries(CH, p.entries()))
          const joined = concatRuns(reordered)
          expect(plainEntries(joined.entries())).toEqual(plainEntries(entries))
          expect(joined.payloadBytes).toBe(run.payloadBytes)
          expect(plainEntries(joined.compact().entries())).toEqual(plainEntries(entries))
          expect(joined.data.byteLength).toBe(joined.bytes().byteLength)
          // Slices of one run view its buffer; their join holds their bytes alone.
          const rejoined = concatRuns(pieces)
          expect(rejoined.bytes()).toEqual(run.bytes())
          expect(rejoined.data.byteLength).toBe(rejoined.bytes().byteLength)
        },
      ),
    )
  })

  it('re-numbers authors when the tables of the runs it joins differ', () => {
    const entries = sealed([
      { author: 1, size: 2, signed: false },
      { author: 2, size: 2, signed: true },
      { author: 2, size: 2, signed: false },
      { author: 1, size: 200, signed: false },
    ])
    const head = packEntries(CH, entries.slice(0, 1))
    const tail = packEntries(CH, entries.slice(1))
    expect(tail.authors).toEqual(['author-2', 'author-1'])
    const joined = concatRuns([head, tail])
    expect(joined.authors).toEqual(['author-1', 'author-2'])
    expect(plainEntries(joined.entries())).toEqual(plainEntries(entries))
    expect([...joined.authorHighs()]).toEqual([
      ['author-1', 1],
      ['author-2', 1],
    ])
    expect(joined.authorChars()).toBe(4 * 'author-1'.length)
    expect(() => concatRuns([tail, head])).toThrow(RangeError)
  })

  it('refuses to pack entries that are not one dense, chained run of the channel', () => {
    const entries = sealed([
      { author: 0, size: 1, signed: false },
      { author: 0, size: 1, signed: false },
    ])
    const [first, second] = entries as [Entry, Entry]
    const cases: Entry[][] = [
      [first, { ...second, prevHash: GENESIS_HASH }],
      [first, { ...second, seq: 5 as Seq }],
      [{ ...first, channel: channelId('other') }],
    ]
    for (const bad of cases) {
      expect(() => packEntries(CH, bad)).toThrow(InvalidArgumentError)
    }
    expect(() => packEntries(CH, entries, 3 as Seq)).toThrow(/expected 3/)
  })

  it('gives a compact copy its own buffer and prevHash', () => {
    const run = packEntries(CH, sealed([{ author: 0, size: 40, signed: false }]))
    const frame = new Uint8Array(run.bytes().byteLength + 100)
    frame.set(run.bytes(), 50)
    const view = EntryRun.parse(run, frame.subarray(50, 50 + run.bytes().byteLength), 1, () => {
      throw new Error('refused')
    })
    const own = view.compact()
    expect(own.data.buffer.byteLength).toBe(run.bytes().byteLength)
    expect(own.prevHash.buffer.byteLength).toBe(32)
    expect(plainEntries(own.entries())).toEqual(plainEntries(run.entries()))
  })

  it('keeps bytes it already owns and copies only a prevHash that is a view', () => {
    const entries = sealed(
      Array.from({ length: 4 }, () => ({ author: 0, size: 40, signed: false })),
    )
    const [head, tail] = packEntries(CH, entries).split(2, Number.POSITIVE_INFINITY)
    // concat packs its own buffer; its prevHash is a view of the first run's.
    const joined = concatRuns([(head as EntryRun).copy(), (tail as EntryRun).copy()])
    const framed = new Uint8Array(64)
    framed.set(joined.prevHash, 16)
    const viewed = EntryRun.parse(
      { ...joined, prevHash: framed.subarray(16, 48) },
      joined.data,
      joined.count,
      () => {
        throw new Error('refused')
      },
    )
    const own = viewed.compact()
    expect(own.data).toBe(viewed.data)
    expect(own.prevHash.buffer.byteLength).toBe(32)
    expect(plainEntries(own.entries())).toEqual(plainEntries(joined.entries()))
  })
})

describe('verifyRun checks every hash of a run', () => {
  it('passes sealed entries and names the first entry that was changed', () => {
    const entries = sealed(
      Array.from({ length: 8 }, (_, i) => ({ author: i % 2, size: 10, signed: false })),
      20,
    )
    const run = packEntries(CH, entries)
    verifyRun(hasher, run)
    const bytes = run.bytes().slice()
    const payloadOfFifth = (run.entries()[5]?.payload.byteOffset ?? 0) - run.bytes().byteOffset
    bytes[payloadOfFifth] = (bytes[payloadOfFifth] as number) ^ 1
    const tampered = EntryRun.parse(run, bytes, run.count, () => {
      throw new Error('refused')
    })
    expect(() => verifyRun(hasher, tampered)).toThrow(HashMismatchError)
    expect(() => verifyRun(hasher, tampered)).toThrow(/entry 25/)
  })
})

describe('a run lists only the authors its entries use when asked', () => {
  it('prunes and re-numbers the table of a slice, keeping every entry', () => {
    const entries = sealed([
      { author: 1, size: 3, signed: false },
      { author: 2, size: 3, signed: true },
      { author: 3, size: 3, signed: false },
    ])
    const run = packEntries(CH, entries)
    const tail = run.slice(2)
    expect(tail.authors).toHaveLength(3)
    const pruned = trimAuthors(tail)
    expect(pruned.authors).toEqual(['author-3'])
    expect(plainEntries(pruned.entries())).toEqual(plainEntries(entries.slice(2)))
    expect(trimAuthors(run)).toBe(run)
  })
})

describe('sealRun seals drafts straight into a run', () => {
  it('makes the run that packing sealEntries would make, signatures and all', () => {
    fc.assert(
      fc.property(testWrites, fc.nat(500), (list, firstSeq) => {
        const drafts = sealed(list).map(({ author, authorSeq, payload, signature }) =>
          signature === undefined
            ? { author, authorSeq, payload }
            : { author, authorSeq, payload, signature },
        )
        const tail = { nextSeq: firstSeq as Seq, lastHash: new Uint8Array(32).fill(3) }
        const run = sealRun(hasher, CH, tail, drafts)
        const expected = packEntries(CH, sealEntries(hasher, CH, tail, drafts))
        expect(plainEntries(run.entries())).toEqual(plainEntries(expected.entries()))
        expect(Array.from(run.bytes())).toEqual(Array.from(expected.bytes()))
        verifyRun(hasher, run)
      }),
    )
  })
})
