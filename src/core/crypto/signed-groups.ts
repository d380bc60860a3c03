/**
 * Signed groups: an author signs up to MAX_GROUP_SIZE consecutive writes
 * with one Ed25519 signature over the root of a Merkle tree of their
 * signing digests, and each write carries that signature plus its proof:
 * its place in the group and the sibling hashes up to the root. Signing
 * and verifying cost ~0.1–0.15 ms per call in the browsers (README,
 * "Signed entries"), so one call per group instead of one per write is
 * what lets signed 100-byte entries replicate at wire speed.
 *
 * Every write stays verifiable on its own: a chunk, a proposal or a
 * retention floor may cut a group anywhere and what is left still checks.
 * Nothing in the log, the wire or storage has to keep groups whole.
 *
 * The tree has RFC 6962's shape (the left subtree of n leaves holds the
 * largest power of two below n). A leaf is the write's v1 signing digest
 * (entry-signing.ts), whose preimage starts with its version byte 1; an
 * inner node is BLAKE3(0x80 | left | right), so no node can pass for a
 * leaf. The signed message is GROUP_SIGNATURE_DOMAIN | u16 size | root.
 *
 * A proof is u8 index | u8 (size - 1) | sibling hashes, deepest first.
 */
import {
  groupProofDepthAt,
  HASH_BYTES,
  GROUP_PROOF_HEAD_BYTES as PROOF_HEAD_BYTES,
  groupProofByteLength as proofByteLength,
  groupSplitPoint as splitPoint,
} from '../log/entry.js'
import type { EntryHasher } from '../log/entry-hasher.js'

/** Most writes one signature covers (a tree of 256 leaves is GROUP_PROOF_MAX_DEPTH deep). */
export const MAX_GROUP_SIZE = 256

export const GROUP_SIGNATURE_DOMAIN: Uint8Array = new TextEncoder().encode(
  'meshlog/entry-group/v1\n',
)
const NODE_PREFIX = 0x80
// One node's preimage, reused: one hasher call with one part is the cheap one.
const nodeInput = new Uint8Array(1 + 2 * HASH_BYTES)
nodeInput[0] = NODE_PREFIX

function node(hasher: EntryHasher, left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1)
  nodeInput.set(right, 1 + HASH_BYTES)
  return hasher.digest(nodeInput)
}

export interface SignedGroup {
  readonly root: Uint8Array
  /**
   * One proof per leaf, in order: views into one buffer (`slice` one to keep
   * it alone; a structured clone of a view copies the whole buffer).
   */
  readonly proofs: Uint8Array[]
}

/**
 * The root over `leaves`, handing each leaf's sibling at each level
 * (deepest first) to `sibling`; undefined as soon as `sibling` says no.
 */
function treeRoot(
  hasher: EntryHasher,
  leaves: readonly Uint8Array[],
  sibling: (leaf: number, level: number, hash: Uint8Array) => boolean,
): Uint8Array | undefined {
  const size = leaves.length
  if (size < 2 || size > MAX_GROUP_SIZE) {
    throw new RangeError(`a signed group holds 2 to ${MAX_GROUP_SIZE} writes, not ${size}`)
  }
  const levels = new Uint8Array(size)
  let holds = true
  const build = (from: number, to: number): Uint8Array => {
    if (to - from === 1 || !holds) return leaves[from] as Uint8Array
    const mid = from + splitPoint(to - from)
    const left = build(from, mid)
    const right = build(mid, to)
    for (let i = from; i < to && holds; i++) {
      const level = levels[i] as number
      levels[i] = level + 1
      holds = sibling(i, level, i < mid ? right : left)
    }
    return node(hasher, left, right)
  }
  const root = build(0, size)
  return holds ? root : undefined
}

/**
 * The root of a whole group whose every member carries its proof, if each
 * proof is exactly the one the group's leaves give it: size - 1 hashes for
 * the group, where checking each proof alone would take size × depth.
 */
export function wholeGroupRoot(
  hasher: EntryHasher,
  leaves: readonly Uint8Array[],
  proofs: readonly Uint8Array[],
): Uint8Array | undefined {
  return treeRoot(hasher, leaves, (leaf, level, hash) => {
    const proof = proofs[leaf] as Uint8Array
    const at = PROOF_HEAD_BYTES + level * HASH_BYTES
    if (at + HASH_BYTES > proof.byteLength) return false
    for (let i = 0; i < HASH_BYTES; i++) if (proof[at + i] !== hash[i]) return false
    return true
  })
}

/**
 * The root of `leaves`, handing each leaf's sibling hashes to `sibling`
 * (leaf, level from the deepest, hash): a receiver writes each proof
 * straight where it keeps it.
 */
export function groupSiblings(
  hasher: EntryHasher,
  leaves: readonly Uint8Array[],
  sibling: (leaf: number, level: number, hash: Uint8Array) => void,
): Uint8Array {
  return treeRoot(hasher, leaves, (leaf, level, hash) => {
    sibling(leaf, level, hash)
    return true
  }) as Uint8Array
}

/**
 * The root of `leaves` (2 to MAX_GROUP_SIZE of them) and each leaf's proof.
 * The proofs share one buffer: a small allocation per proof cost the
 * leader more than the tree's hashing (fresh memory is dear in a VM).
 */
export function buildGroup(hasher: EntryHasher, leaves: readonly Uint8Array[]): SignedGroup {
  const size = leaves.length
  let total = 0
  for (let index = 0; index < size; index++)
    total += proofByteLength(groupProofDepthAt(index, size))
  const bytes = new Uint8Array(total)
  const proofs: Uint8Array[] = new Array(size)
  let at = 0
  for (let index = 0; index < size; index++) {
    const end = at + proofByteLength(groupProofDepthAt(index, size))
    const proof = bytes.subarray(at, end)
    proof[0] = index
    proof[1] = size - 1
    proofs[index] = proof
    at = end
  }
  const root = groupSiblings(hasher, leaves, (leaf, level, hash) => {
    proofs[leaf]?.set(hash, PROOF_HEAD_BYTES + level * HASH_BYTES)
  })
  return { root, proofs }
}

/** The index and size a proof states, if its length fits them. */
export function readProof(proof: Uint8Array): { index: number; size: number } | undefined {
  if (proof.byteLength < PROOF_HEAD_BYTES) return undefined
  const index = proof[0] as number
  const size = (proof[1] as number) + 1
  if (size < 2 || index >= size) return undefined
  if (proof.byteLength !== proofByteLength(groupProofDepthAt(index, size))) return undefined
  return { index, size }
}

/** The root `leaf` reaches through `proof`, or undefined for a malformed proof. */
export function rootOf(
  hasher: EntryHasher,
  leaf: Uint8Array,
  proof: Uint8Array,
): Uint8Array | undefined {
  const place = readProof(proof)
  if (place === undefined) return undefined
  // Top-down, whether the path goes left at each level; applied bottom-up.
  const goesLeft: boolean[] = []
  let from = 0
  let to = place.size
  while (to - from > 1) {
    const mid = from + splitPoint(to - from)
    goesLeft.push(place.index < mid)
    if (place.index < mid) to = mid
    else from = mid
  }
  let hash = leaf
  for (let level = 0; level < goesLeft.length; level++) {
    const at = PROOF_HEAD_BYTES + level * HASH_BYTES
    const sibling = proof.subarray(at, at + HASH_BYTES)
    hash = goesLeft[goesLeft.length - 1 - level]
      ? node(hasher, hash, sibling)
      : node(hasher, sibling, hash)
  }
  return hash
}

/** The bytes an author signs for a group of `size` writes with this root. */
export function groupSigningMessage(size: number, root: Uint8Array): Uint8Array {
  const domain = GROUP_SIGNATURE_DOMAIN.byteLength
  const message = new Uint8Array(domain + 2 + HASH_BYTES)
  message.set(GROUP_SIGNATURE_DOMAIN)
  message[domain] = size >>> 8
  message[domain + 1] = size & 0xff
  message.set(root, domain + 2)
  return message
}
