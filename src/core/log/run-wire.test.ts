import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import type { Entry } from './entry.js'
import { sealWireRun } from './entry-chain.js'
import { type EntryHasher, loadEntryHasher } from './entry-hasher.js'
import type { EntryRun, RunFaultKind } from './entry-run.js'
import { channelId } from './ids.js'
import { packEntries } from './run-pack.js'
import { wireByteLength, writeWire } from './run-wire.js'
import { plainEntries, sealedWrites, type TestWrite, testWrites } from './test-runs.js'

const CH = channelId('wire-runs')
let hasher: EntryHasher

beforeAll(async () => {
  hasher = await loadEntryHasher()
})

const sealed = (list: readonly TestWrite[], firstSeq = 0): Entry[] =>
  sealedWrites(hasher, CH, list, firstSeq)

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
      fc.property(testWrites, fc.nat(1000), (list, firstSeq) => {
        const run = packEntries(CH, sealed(list, firstSeq))
        expect(wireByteLength(run)).toBe(run.bytes().byteLength - 32 * run.count)
        const back = offTheWire(run, wireOf(run))
        expect(plainEntries(back.entries())).toEqual(plainEntries(run.entries()))
        expect(back.signedCount).toBe(run.signedCount)
        expect(back.payloadBytes).toBe(run.payloadBytes)
      }),
    )
  })

  it('writes a slice of a bigger run from where the slice starts', () => {
    const whole = packEntries(
      CH,
      sealed(
        Array.from({ length: 9 }, (_, i) => ({ author: i % 2, size: 30, signed: i % 3 === 0 })),
      ),
    )
    const part = whole.slice(4, 8)
    expect(plainEntries(offTheWire(part, wireOf(part)).entries())).toEqual(
      plainEntries(part.entries()),
    )
  })

  it('hashes a changed payload into a different chain', () => {
    const run = packEntries(
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
    const run = packEntries(
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
    flagged[2] = 2 // grouped, not signed
    expect(failure(flagged)).toBe('bad-enum')
  })

  it('refuses a grouped entry whose proof depth cannot be', () => {
    const run = packEntries(CH, sealed([{ author: 0, size: 8, signed: true, proofDepth: 3 }]))
    expect(run.proofBytes).toBe(2 + 3 * 32)
    expect(run.entry(0).groupProof?.byteLength).toBe(2 + 3 * 32)
    const wire = wireOf(run)
    expect(wire[2]).toBe(3) // flags signed | grouped, then the depth
    for (const depth of [0, 9]) {
      const bad = wire.slice()
      bad[3] = depth
      expect(() => sealWireRun(hasher, run, bad, run.count, refuse)).toThrow('over-limit')
    }
  })
})
