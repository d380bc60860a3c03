/**
 * Node hashing for the channel Merkle tree. The tree has the shape and the
 * domain separation of RFC 9162 (Certificate Transparency v2): a leaf is
 * BLAKE3(0x00 ‖ entryHash), an inner node BLAKE3(0x01 ‖ left ‖ right), the
 * tree of n > 1 leaves splits at the largest power of two below n, and the
 * empty tree's root is BLAKE3(""). The prefixes stop a leaf from being
 * passed off as an inner node (second-preimage attacks on the tree).
 */
import { HASH_BYTES } from '../log/entry.js'
import type { EntryHasher } from '../log/entry-hasher.js'

const LEAF_PREFIX = Uint8Array.of(0x00)
const NODE_PREFIX = Uint8Array.of(0x01)

/** A Merkle root together with the number of leaves it covers. */
export interface TreeHead {
  readonly size: number
  readonly root: Uint8Array
}

export function hashLeaf(hasher: EntryHasher, entryHash: Uint8Array): Uint8Array {
  return hasher.digest(LEAF_PREFIX, entryHash)
}

export function hashNode(hasher: EntryHasher, left: Uint8Array, right: Uint8Array): Uint8Array {
  return hasher.digest(NODE_PREFIX, left, right)
}

export function emptyRoot(hasher: EntryHasher): Uint8Array {
  return hasher.digest()
}

export function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.byteLength === HASH_BYTES
}

/** The largest power of two strictly below `n` (n >= 2): where a tree of n leaves splits. */
export function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

export function isPowerOfTwo(n: number): boolean {
  return n === 1 || (n >= 2 && splitPoint(n) * 2 === n)
}

/** Whether `n` is a tree size we accept: a non-negative safe integer. */
export function isTreeSize(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}
