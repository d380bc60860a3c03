/**
 * Proofs over the channel Merkle tree and their verification. Verifiers
 * never throw on bad input: a malformed or forged proof simply fails.
 *
 * - RangeProof: entries [start, end) belong to the tree of `treeSize` leaves
 *   with a given root. `path` holds, left to right, the roots of the maximal
 *   subtrees outside the range: at most 2·log2(treeSize) hashes, however long
 *   the range. A single entry's inclusion proof is a range of one.
 * - ConsistencyProof: RFC 9162 §2.1.4 — the tree of `newSize` leaves extends
 *   the tree of `oldSize` leaves (the old log is a prefix of the new one).
 */
import { equals } from 'uint8arrays/equals'
import type { EntryHasher } from '../log/entry-hasher.js'
import {
  emptyRoot,
  hashLeaf,
  hashNode,
  isHash,
  isPowerOfTwo,
  isTreeSize,
  splitPoint,
  type TreeHead,
} from './merkle-hash.js'

/** No honest proof over a tree of < 2^53 leaves is longer. */
const MAX_PATH_LENGTH = 2 * 54

export interface RangeProof {
  readonly start: number
  readonly end: number
  readonly treeSize: number
  readonly path: readonly Uint8Array[]
}

export interface ConsistencyProof {
  readonly oldSize: number
  readonly newSize: number
  readonly path: readonly Uint8Array[]
}

/** Root of the tree over `leaves` (leaf hashes), split the RFC 9162 way. */
function rootOfLeaves(
  hasher: EntryHasher,
  leaves: readonly Uint8Array[],
  lo: number,
  hi: number,
): Uint8Array {
  if (hi - lo === 1) return leaves[lo] as Uint8Array
  const k = splitPoint(hi - lo)
  return hashNode(
    hasher,
    rootOfLeaves(hasher, leaves, lo, lo + k),
    rootOfLeaves(hasher, leaves, lo + k, hi),
  )
}

/**
 * The root of a tree of `size` leaves of which [start, start + leaves.length)
 * are known (as leaf hashes) and every maximal subtree outside them is
 * supplied by `outside(lo, hi)`, in left-to-right order. Undefined when
 * `outside` has nothing to give.
 */
export function rootWithLeaves(
  hasher: EntryHasher,
  size: number,
  start: number,
  leaves: readonly Uint8Array[],
  outside: (lo: number, hi: number) => Uint8Array | undefined,
): Uint8Array | undefined {
  const end = start + leaves.length
  const walk = (lo: number, hi: number): Uint8Array | undefined => {
    if (hi <= start || lo >= end) return outside(lo, hi)
    if (lo >= start && hi <= end) return rootOfLeaves(hasher, leaves, lo - start, hi - start)
    const k = splitPoint(hi - lo)
    const left = walk(lo, lo + k)
    if (left === undefined) return undefined
    const right = walk(lo + k, hi)
    if (right === undefined) return undefined
    return hashNode(hasher, left, right)
  }
  return walk(0, size)
}

function wellFormedPath(path: unknown): path is readonly Uint8Array[] {
  return Array.isArray(path) && path.length <= MAX_PATH_LENGTH && path.every(isHash)
}

/** The root `proof` and the range's entry hashes imply, or undefined if they do not fit. */
export function rootFromRange(
  hasher: EntryHasher,
  entryHashes: readonly Uint8Array[],
  proof: RangeProof,
): Uint8Array | undefined {
  const { start, end, treeSize, path } = proof
  if (!isTreeSize(start) || !isTreeSize(end) || !isTreeSize(treeSize)) return undefined
  if (!(start < end && end <= treeSize) || entryHashes.length !== end - start) return undefined
  if (!wellFormedPath(path) || !entryHashes.every(isHash)) return undefined
  let cursor = 0
  const root = rootWithLeaves(
    hasher,
    treeSize,
    start,
    entryHashes.map((h) => hashLeaf(hasher, h)),
    () => path[cursor++],
  )
  return cursor === path.length ? root : undefined
}

/** True when the entries with these hashes are exactly leaves [start, end) of the tree `root` heads. */
export function verifyRange(
  hasher: EntryHasher,
  entryHashes: readonly Uint8Array[],
  proof: RangeProof,
  root: Uint8Array,
): boolean {
  const computed = rootFromRange(hasher, entryHashes, proof)
  return computed !== undefined && isHash(root) && equals(computed, root)
}

/** True when the entry with `entryHash` is leaf `proof.start` of the tree `root` heads. */
export function verifyInclusion(
  hasher: EntryHasher,
  entryHash: Uint8Array,
  proof: RangeProof,
  root: Uint8Array,
): boolean {
  return proof.end === proof.start + 1 && verifyRange(hasher, [entryHash], proof, root)
}

const half = (n: number) => Math.floor(n / 2)
const odd = (n: number) => n % 2 === 1

/** True when `newHead`'s tree extends `oldHead`'s (RFC 9162 §2.1.4.2). */
export function verifyConsistency(
  hasher: EntryHasher,
  oldHead: TreeHead,
  newHead: TreeHead,
  proof: ConsistencyProof,
): boolean {
  const m = oldHead.size
  const n = newHead.size
  if (!isTreeSize(m) || !isTreeSize(n) || m > n) return false
  if (proof.oldSize !== m || proof.newSize !== n || !wellFormedPath(proof.path)) return false
  if (!isHash(oldHead.root) || !isHash(newHead.root)) return false
  if (m === 0) return proof.path.length === 0 && equals(oldHead.root, emptyRoot(hasher))
  if (m === n) return proof.path.length === 0 && equals(oldHead.root, newHead.root)
  const path = isPowerOfTwo(m) ? [oldHead.root, ...proof.path] : [...proof.path]
  const first = path[0]
  if (first === undefined) return false
  let fn = m - 1
  let sn = n - 1
  while (odd(fn)) {
    fn = half(fn)
    sn = half(sn)
  }
  let fr = first
  let sr = first
  for (const c of path.slice(1)) {
    if (sn === 0) return false
    if (odd(fn) || fn === sn) {
      fr = hashNode(hasher, c, fr)
      sr = hashNode(hasher, c, sr)
      while (!odd(fn) && fn !== 0) {
        fn = half(fn)
        sn = half(sn)
      }
    } else {
      sr = hashNode(hasher, sr, c)
    }
    fn = half(fn)
    sn = half(sn)
  }
  return sn === 0 && equals(fr, oldHead.root) && equals(sr, newHead.root)
}
