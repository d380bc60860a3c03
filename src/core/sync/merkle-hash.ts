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

// One preimage buffer per kind: a single update is ~3x cheaper than passing
// prefix, left and right separately (hash-wasm, Node 20). Digests consume
// their input synchronously, so reuse is safe.
const leafPreimage = new Uint8Array(1 + HASH_BYTES)
const nodePreimage = new Uint8Array(1 + 2 * HASH_BYTES)
leafPreimage[0] = 0x00
nodePreimage[0] = 0x01

/** A Merkle root together with the number of leaves it covers. */
export interface TreeHead {
  readonly size: number
  readonly root: Uint8Array
}

/** `entryHash` must be 32 bytes (callers check). */
export function hashLeaf(hasher: EntryHasher, entryHash: Uint8Array): Uint8Array {
  leafPreimage.set(entryHash, 1)
  return hasher.digest(leafPreimage)
}

/** `left` and `right` must be 32 bytes (callers check). */
export function hashNode(hasher: EntryHasher, left: Uint8Array, right: Uint8Array): Uint8Array {
  nodePreimage.set(left, 1)
  nodePreimage.set(right, 1 + HASH_BYTES)
  return hasher.digest(nodePreimage)
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
