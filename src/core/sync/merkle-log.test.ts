import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { GENESIS_HASH } from '../log/entry.js'
import { computeEntryHash } from '../log/entry-chain.js'
import { createJsHasher, type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, peerId, type Seq } from '../log/ids.js'
import { seededBytes, testLogWriter } from '../log/test-entries.js'
import { emptyRoot, hashLeaf, hashNode } from './merkle-hash.js'
import { MerkleLog } from './merkle-log.js'
import {
  type ConsistencyProof,
  type RangeProof,
  rootFromRange,
  verifyConsistency,
  verifyInclusion,
  verifyRange,
} from './merkle-proof.js'

let hasher: EntryHasher
beforeAll(async () => {
  hasher = await loadEntryHasher()
})

const hashes = (count: number, seed = 1): Uint8Array[] =>
  Array.from({ length: count }, (_, i) => seededBytes(seed * 100_003 + i + 1, 32))

/** RFC 9162 MTH straight from its definition: the reference the columns must match. */
function referenceRoot(h: EntryHasher, entryHashes: readonly Uint8Array[]): Uint8Array {
  if (entryHashes.length === 0) return emptyRoot(h)
  if (entryHashes.length === 1) return hashLeaf(h, entryHashes[0] as Uint8Array)
  let k = 1
  while (k * 2 < entryHashes.length) k *= 2
  return hashNode(
    h,
    referenceRoot(h, entryHashes.slice(0, k)),
    referenceRoot(h, entryHashes.slice(k)),
  )
}

function flipByte(bytes: Uint8Array, index: number): Uint8Array {
  const copy = bytes.slice()
  copy[index % copy.length] = (copy[index % copy.length] ?? 0) ^ 0x5a
  return copy
}

/** A tree size and a non-empty range inside it. */
const sizeAndRange = fc
  .integer({ min: 1, max: 300 })
  .chain((size) =>
    fc
      .tuple(fc.integer({ min: 0, max: size - 1 }), fc.integer({ min: 1, max: size }))
      .map(([a, len]) => ({ size, start: a, end: Math.min(size, a + len) })),
  )

describe('the Merkle root is deterministic and incremental', () => {
  it('matches the RFC 9162 definition for every prefix of a log', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer(), (n, seed) => {
        const leaves = hashes(n, seed)
        const log = new MerkleLog(hasher, leaves)
        for (let m = 0; m <= n; m += Math.max(1, Math.floor(n / 7))) {
          expect(log.root(m)).toEqual(referenceRoot(hasher, leaves.slice(0, m)))
        }
        expect(log.root()).toEqual(referenceRoot(hasher, leaves))
      }),
      { numRuns: 60 },
    )
  })

  it('the same entries give the same root, whichever hasher and however appended', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 150 }), fc.integer(), (n, seed) => {
        const leaves = hashes(n, seed)
        const oneByOne = new MerkleLog(hasher)
        for (const leaf of leaves) oneByOne.append(leaf)
        const js = new MerkleLog(createJsHasher(), leaves)
        expect(oneByOne.root()).toEqual(js.root())
        expect(new MerkleLog(hasher, leaves).head()).toEqual(oneByOne.head())
      }),
      { numRuns: 40 },
    )
  })

  it('a different entry anywhere changes the root', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 150 }), fc.nat(), fc.nat(), (n, at, byte) => {
        const leaves = hashes(n)
        const tampered = leaves.slice()
        tampered[at % n] = flipByte(leaves[at % n] as Uint8Array, byte)
        expect(new MerkleLog(hasher, tampered).root()).not.toEqual(
          new MerkleLog(hasher, leaves).root(),
        )
      }),
    )
  })

  it('truncating and appending again equals building the new log from scratch', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.nat(),
        fc.integer({ min: 0, max: 50 }),
        (n, cut, more) => {
          const leaves = hashes(n)
          const keep = n === 0 ? 0 : cut % (n + 1)
          const replacement = hashes(more, 7)
          const log = new MerkleLog(hasher, leaves)
          log.truncate(keep)
          for (const leaf of replacement) log.append(leaf)
          const fresh = new MerkleLog(hasher, [...leaves.slice(0, keep), ...replacement])
          expect(log.head()).toEqual(fresh.head())
          if (log.size > 0) {
            expect(log.inclusionProof(log.size - 1)).toEqual(fresh.inclusionProof(fresh.size - 1))
          }
        },
      ),
      { numRuns: 60 },
    )
  })
})

describe('range proofs verify a chunk of entries against a claimed root', () => {
  it('an honest proof verifies and stays within 2·log2(n) hashes', () => {
    const leaves = hashes(300)
    const log = new MerkleLog(hasher, leaves)
    fc.assert(
      fc.property(sizeAndRange, ({ size, start, end }) => {
        const proof = log.rangeProof(start, end, size)
        expect(verifyRange(hasher, leaves.slice(start, end), proof, log.root(size))).toBe(true)
        expect(proof.path.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(size)))
      }),
      { numRuns: 300 },
    )
  })

  it('a tampered entry, path hash, range or root fails', () => {
    const leaves = hashes(300)
    const log = new MerkleLog(hasher, leaves)
    fc.assert(
      fc.property(sizeAndRange, fc.nat(), fc.nat(), ({ size, start, end }, which, byte) => {
        const proof = log.rangeProof(start, end, size)
        const chunk = leaves.slice(start, end)
        const root = log.root(size)
        const badChunk = chunk.slice()
        badChunk[which % chunk.length] = flipByte(chunk[which % chunk.length] as Uint8Array, byte)
        expect(verifyRange(hasher, badChunk, proof, root)).toBe(false)
        expect(verifyRange(hasher, chunk, proof, flipByte(root, byte))).toBe(false)
        if (proof.path.length > 0) {
          const path = proof.path.slice()
          path[which % path.length] = flipByte(path[which % path.length] as Uint8Array, byte)
          expect(verifyRange(hasher, chunk, { ...proof, path }, root)).toBe(false)
          expect(verifyRange(hasher, chunk, { ...proof, path: proof.path.slice(1) }, root)).toBe(
            false,
          )
        }
        const extra = { ...proof, path: [...proof.path, root] }
        expect(verifyRange(hasher, chunk, extra, root)).toBe(false)
        // The same hashes claimed one position later.
        if (end < size) {
          const shifted = { ...proof, start: start + 1, end: end + 1 }
          expect(verifyRange(hasher, chunk, shifted, root)).toBe(false)
        }
      }),
      { numRuns: 300 },
    )
  })

  it('catches a forged entry in a real hash-chained log', () => {
    const channel = channelId('merkle-chan')
    const writer = testLogWriter(hasher, channel, peerId('author'), {
      nextSeq: 0 as Seq,
      lastHash: GENESIS_HASH,
    })
    const entries = writer.next(64)
    const log = new MerkleLog(
      hasher,
      entries.map((e) => e.hash),
    )
    const chunk = entries.slice(20, 40)
    const proof = log.rangeProof(20, 40)
    const recomputed = chunk.map((e) => computeEntryHash(hasher, e))
    expect(verifyRange(hasher, recomputed, proof, log.root())).toBe(true)
    const forged = chunk.map((e, i) => (i === 5 ? { ...e, payload: flipByte(e.payload, 0) } : e))
    const forgedHashes = forged.map((e) => computeEntryHash(hasher, e))
    expect(verifyRange(hasher, forgedHashes, proof, log.root())).toBe(false)
  })

  it('an inclusion proof is a range of one; malformed proofs fail without throwing', () => {
    const leaves = hashes(37)
    const log = new MerkleLog(hasher, leaves)
    const proof = log.inclusionProof(11)
    expect(verifyInclusion(hasher, leaves[11] as Uint8Array, proof, log.root())).toBe(true)
    expect(verifyInclusion(hasher, leaves[12] as Uint8Array, proof, log.root())).toBe(false)
    const malformed: RangeProof[] = [
      { ...proof, start: -1 },
      { ...proof, end: 99 },
      { ...proof, treeSize: 1.5 },
      { ...proof, path: [new Uint8Array(31)] },
      { ...proof, path: 'nope' as unknown as Uint8Array[] },
    ]
    for (const bad of malformed) {
      expect(rootFromRange(hasher, [leaves[11] as Uint8Array], bad)).toBeUndefined()
    }
  })
})

describe('consistency proofs show one log extends another', () => {
  const pair = fc
    .integer({ min: 0, max: 300 })
    .chain((n) => fc.integer({ min: 0, max: n }).map((m) => ({ m, n })))

  it('an honest proof verifies for every pair of sizes', () => {
    const leaves = hashes(300)
    const log = new MerkleLog(hasher, leaves)
    fc.assert(
      fc.property(pair, ({ m, n }) => {
        const proof = log.consistencyProof(m, n)
        expect(verifyConsistency(hasher, log.head(m), log.head(n), proof)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('fails for a rewritten prefix, a tampered proof, or swapped sizes', () => {
    const leaves = hashes(300)
    const log = new MerkleLog(hasher, leaves)
    fc.assert(
      fc.property(pair, fc.nat(), fc.nat(), ({ m, n }, which, byte) => {
        fc.pre(m > 0 && m < n)
        const proof = log.consistencyProof(m, n)
        const rewritten = leaves.slice(0, m)
        rewritten[which % m] = flipByte(rewritten[which % m] as Uint8Array, byte)
        const forkHead = new MerkleLog(hasher, rewritten).head()
        expect(verifyConsistency(hasher, forkHead, log.head(n), proof)).toBe(false)
        const path = proof.path.slice()
        path[which % path.length] = flipByte(path[which % path.length] as Uint8Array, byte)
        const tampered: ConsistencyProof = { ...proof, path }
        expect(verifyConsistency(hasher, log.head(m), log.head(n), tampered)).toBe(false)
        expect(verifyConsistency(hasher, log.head(n), log.head(m), proof)).toBe(false)
        const trimmed: ConsistencyProof = { ...proof, path: proof.path.slice(0, -1) }
        expect(verifyConsistency(hasher, log.head(m), log.head(n), trimmed)).toBe(false)
      }),
      { numRuns: 300 },
    )
  })
})

describe('the structure rejects input that can never be valid', () => {
  it('entry hashes must be 32 bytes; sizes must be within the log', () => {
    const log = new MerkleLog(hasher, hashes(4))
    expect(() => log.append(new Uint8Array(16))).toThrow(/32 bytes/)
    expect(() => log.root(5)).toThrow(/size/)
    expect(() => log.rangeProof(2, 2)).toThrow(/range/)
    expect(() => log.consistencyProof(3, 2)).toThrow(/oldSize/)
    expect(() => log.truncate(-1)).toThrow(/size/)
    expect(() => log.leaf(4)).toThrow(/index/)
  })
})
