import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { checkSignatures, groupRebuilder, signDrafts } from '../crypto/entry-signing.js'
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { testAuthor } from '../crypto/test-authors.js'
import { GENESIS_HASH, SIGNATURE_BYTES } from './entry.js'
import { sealEntries, sealWireRun } from './entry-chain.js'
import { type EntryHasher, loadEntryHasher } from './entry-hasher.js'
import type { EntryRun, RunFaultKind } from './entry-run.js'
import { channelId, type PeerId, type Seq } from './ids.js'
import { packEntries } from './run-pack.js'
import { rebuiltGroups, wireByteLength, writeWire } from './run-wire.js'
import { plainEntries } from './test-runs.js'

const CH = channelId('wire-groups')
let hasher: EntryHasher

beforeAll(async () => {
  hasher = await loadEntryHasher()
})

const refuse = (kind: RunFaultKind, why: string): never => {
  throw new Error(`${kind}: ${why}`)
}

/** What the frame decoder hands readWire: the proofs a whole group's writes give. */
const regroupFor = (authors: readonly PeerId[]) => groupRebuilder(hasher, CH, authors)

function wireOf(run: EntryRun): Uint8Array {
  const wire = new Uint8Array(wireByteLength(run))
  expect(writeWire(run, wire, 0)).toBe(wire.byteLength)
  return wire
}

function offTheWire(run: EntryRun, wire = wireOf(run)): EntryRun {
  return sealWireRun(hasher, run, wire, run.count, refuse, regroupFor(run.authors))
}

/** `appends` of (author seed, writes), each signed in groups of `groupSize`, in one log. */
async function signedRun(
  appends: readonly (readonly [number, number])[],
  groupSize: number,
): Promise<EntryRun> {
  const next = new Map<number, number>()
  const drafts = []
  for (const [seed, count] of appends) {
    const author = testAuthor(seed)
    const from = next.get(seed) ?? 0
    next.set(seed, from + count)
    const plain = Array.from({ length: count }, (_, i) => ({
      author: author.author,
      authorSeq: from + i,
      payload: new Uint8Array(1 + ((seed * 7 + i) % 120)).fill(i),
    }))
    drafts.push(...(await signDrafts(author.signer, hasher, CH, plain, { groupSize })))
  }
  const entries = sealEntries(hasher, CH, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }, drafts)
  return packEntries(CH, entries)
}

describe('a signed group the run holds whole goes without its proofs', () => {
  it('sends one signature per whole group and no proof', async () => {
    const run = await signedRun([[1, 64]], 32)
    const unsigned = run.bytes().byteLength - run.count * 32 - run.proofBytes
    // Two groups of 32: each one signature on the wire, 63 signatures and a depth byte each fewer.
    expect(wireByteLength(run)).toBe(unsigned - 62 * SIGNATURE_BYTES - 62)
  })

  it('reads back the very entries, proofs and signatures rebuilt, and they verify', async () => {
    const run = await signedRun(
      [
        [1, 40],
        [2, 5],
        [1, 1],
        [3, 17],
      ],
      8,
    )
    const back = offTheWire(run)
    expect(plainEntries(back.entries())).toEqual(plainEntries(run.entries()))
    const policy = { verifier: new NobleEd25519Verifier(), required: true }
    await checkSignatures(policy, hasher, CH, back.entries())
  })

  it('names the messages of the groups it rebuilt, which a flipped signature bit fails', async () => {
    const run = await signedRun(
      [
        [1, 10],
        [2, 3],
      ],
      4,
    )
    const back = offTheWire(run.slice(1))
    // Writes 1-3 are a group cut at its start, sent as stored; [4, 8), [8, 10) and [10, 13) go whole.
    expect([...(rebuiltGroups(back)?.keys() ?? [])]).toEqual([3, 7, 9])
    const policy = { verifier: new NobleEd25519Verifier(), required: true }
    await checkSignatures(policy, hasher, CH, back.entries(), rebuiltGroups(back))
    const wire = wireOf(run).slice()
    // The first group's signature follows its first write's payload on the wire.
    const head = run.fieldsAt(0)
    wire[head.payloadEnd] = (wire[head.payloadEnd] as number) ^ 1
    const forged = offTheWire(run, wire)
    await expect(
      checkSignatures(policy, hasher, CH, forged.entries(), rebuiltGroups(forged)),
    ).rejects.toMatchObject({ details: { reason: 'bad-signature', seq: 0 } })
  })

  it('sends a group cut by the run as stored, and reads any slice back', async () => {
    const run = await signedRun(
      [
        [1, 30],
        [2, 9],
      ],
      8,
    )
    fc.assert(
      fc.property(fc.nat(run.count), fc.nat(run.count), (a, b) => {
        const part = run.slice(Math.min(a, b), Math.max(a, b))
        expect(plainEntries(offTheWire(part).entries())).toEqual(plainEntries(part.entries()))
      }),
      { seed: 11, numRuns: 60 },
    )
  })

  it('refuses elided writes it cannot rebuild, outside their group or cut short', async () => {
    const run = await signedRun([[1, 4]], 4)
    const wire = wireOf(run)
    expect(() => sealWireRun(hasher, run, wire, run.count, refuse)).toThrow(
      'bad-enum: elided group proofs cannot be rebuilt here',
    )
    const proofOf = (i: number) => run.entry(i).groupProof?.byteLength ?? 0
    const storedLength = (i: number) => run.startAt(i + 1) - run.startAt(i)
    const head = storedLength(0) - 32 - proofOf(0)
    const last = storedLength(3) - 32 - 1 - SIGNATURE_BYTES - proofOf(3)
    const read = (bytes: Uint8Array, count: number) => () =>
      sealWireRun(hasher, run, bytes, count, refuse, regroupFor(run.authors))
    expect(read(wire.subarray(head), 3)).toThrow('bad-enum: an elided write outside its group')
    expect(read(wire.subarray(0, wire.byteLength - last), 3)).toThrow(
      'truncated: an elided group cut short',
    )
  })

  it('refuses a whole group whose writes claim two authors', async () => {
    const run = await signedRun([[1, 2]], 2)
    const wire = wireOf(run)
    // The second write's author index (its first byte) points at a second author.
    const second = run.startAt(1) - 32 - (run.entry(0).groupProof?.byteLength ?? 0)
    const bytes = wire.slice()
    bytes[second] = 1
    const header = { ...run, authors: [...run.authors, testAuthor(2).author] }
    expect(() => sealWireRun(hasher, header, bytes, 2, refuse, regroupFor(header.authors))).toThrow(
      'bad-enum: an elided group of two authors',
    )
  })
})
