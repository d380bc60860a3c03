import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Entry } from './entry.js'
import { GENESIS_HASH } from './entry.js'
import { sealEntries, sealWireRun } from './entry-chain.js'
import { type EntryHasher, loadEntryHasher } from './entry-hasher.js'
import { EntryRun, type RunFaultKind } from './entry-run.js'
import { channelId, peerId, type Seq } from './ids.js'
import { wireByteLength, writeWire } from './run-wire.js'

const CH = channelId('wire-runs')
let hasher: EntryHasher

beforeAll(async () => {
  hasher = await loadEntryHasher()
})

interface Write {
  readonly author: number
  readonly size: number
  readonly signed: boolean
}

const writes = fc.array(fc.record({ author: fc.nat(3), size: fc.nat(300), signed: fc.boolean() }), {
  minLength: 1,
  maxLength: 60,
})

function sealed(list: readonly Write[], firstSeq = 0): Entry[] {
  const seqs = new Map<number, number>()
  return sealEntries(
    hasher,
    CH,
    { nextSeq: firstSeq as Seq, lastHash: GENESIS_HASH },
    list.map((w, i) => {
      const authorSeq = seqs.get(w.author) ?? 0
      seqs.set(w.author, authorSeq + 1)
      const draft = {
        author: peerId(`author-${w.author}`),
        authorSeq,
        payload: new Uint8Array(w.size).fill(i & 0xff),
      }
      return w.signed ? { ...draft, signature: new Uint8Array(64).fill(w.author) } : draft
    }),
  )
}

/** What tests compare: every field, bytes as arrays. */
function plain(entries: readonly Entry[]) {
  return entries.map((e) => ({
    ...e,
    payload: Array.from(e.payload),
    hash: Array.from(e.hash),
    prevHash: Array.from(e.prevHash),
    signature: e.signature === undefined ? undefined : Array.from(e.signature),
  }))
}

describe('the wire form of a run leaves the hashes out', () => {
  const refuse = (kind: RunFaultKind): never => {
    throw new Error(kind)
  }
  const offTheWire = (run: EntryRun, wire: Uint8Array, count = run.count) =>
    sealWireRun(hasher, run, wire, count, refuse)
  const wireOf = (run: EntryRun): Uint8Array => {
    const wire = new Uint8Array(wireByteLength(run) + 6).fill(0xee)
    expect(writeWire(run, wire, 3)).toBe(3 + wireByteLength(run))
    return wire.subarray(3, 3 + wireByteLength(run))
  }

  it('reads back every entry, its hash computed, whatever the authors, sizes and signatures', () => {
    fc.assert(
      fc.property(writes, fc.nat(1000), (list, firstSeq) => {
        const run = EntryRun.fromEntries(CH, sealed(list, firstSeq))
        expect(wireByteLength(run)).toBe(run.bytes().byteLength - 32 * run.count)
        const back = offTheWire(run, wireOf(run))
        expect(plain(back.entries())).toEqual(plain(run.entries()))
        expect(back.signedCount).toBe(run.signedCount)
        expect(back.payloadBytes).toBe(run.payloadBytes)
      }),
    )
  })

  it('writes a slice of a bigger run from where the slice starts', () => {
    const whole = EntryRun.fromEntries(
      CH,
      sealed(
        Array.from({ length: 9 }, (_, i) => ({ author: i % 2, size: 30, signed: i % 3 === 0 })),
      ),
    )
    const part = whole.slice(4, 8)
    expect(plain(offTheWire(part, wireOf(part)).entries())).toEqual(plain(part.entries()))
  })

  it('hashes a changed payload into a different chain', () => {
    const run = EntryRun.fromEntries(
      CH,
      sealed([
        { author: 0, size: 8, signed: false },
        { author: 0, size: 8, signed: false },
      ]),
    )
    const wire = wireOf(run).slice()
    wire[wire.byteLength - 1] = (wire[wire.byteLength - 1] as number) ^ 1
    expect(offTheWire(run, wire).lastHash).not.toEqual(run.lastHash)
  })

  it('names what is wrong with bytes that are not a run', () => {
    const run = EntryRun.fromEntries(
      CH,
      sealed([
        { author: 0, size: 8, signed: true },
        { author: 1, size: 8, signed: false },
      ]),
    )
    const wire = wireOf(run)
    const failure = (bytes: Uint8Array, count = run.count, authors = run.authors) => {
      try {
        sealWireRun(hasher, { ...run, authors }, bytes, count, refuse)
      } catch (error) {
        return (error as Error).message
      }
      return 'none'
    }
    expect(failure(wire)).toBe('none')
    expect(failure(wire.subarray(0, wire.byteLength - 1))).toBe('truncated')
    expect(failure(Uint8Array.of(...wire, 0))).toBe('trailing-bytes')
    expect(failure(wire, 1000)).toBe('truncated')
    expect(failure(wire, run.count, run.authors.slice(0, 1))).toBe('bad-enum')
    const flagged = wire.slice()
    flagged[2] = 0x80 // the first entry's flags: authorIndex and authorSeq take a byte each
    expect(failure(flagged)).toBe('bad-enum')
  })
})
