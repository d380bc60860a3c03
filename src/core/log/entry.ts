import type { ChannelId, PeerId, Seq } from './ids.js'

/** Every entry hash is 32 bytes (BLAKE3-256). */
export const HASH_BYTES = 32
/** An Ed25519 signature, when entries are signed. */
export const SIGNATURE_BYTES = 64
/**
 * A group proof (core/crypto/signed-groups.ts) is u8 index | u8 size - 1 |
 * one 32-byte sibling hash per level, at most GROUP_PROOF_MAX_DEPTH.
 */
export const GROUP_PROOF_HEAD_BYTES = 2
export const GROUP_PROOF_MAX_DEPTH = 8

/** The largest power of two strictly below `n` (n ≥ 2): where a group's tree splits. */
export function groupSplitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/** How many sibling hashes the proof of write `index` of a group of `size` holds. */
export function groupProofDepthAt(index: number, size: number): number {
  let depth = 0
  let from = 0
  let to = size
  while (to - from > 1) {
    const mid = from + groupSplitPoint(to - from)
    if (index < mid) to = mid
    else from = mid
    depth++
  }
  return depth
}

/** Byte length of a group proof `depth` levels deep. */
export function groupProofByteLength(depth: number): number {
  return GROUP_PROOF_HEAD_BYTES + depth * HASH_BYTES
}

/** The depth a group proof of this length has, if the length is one a proof can have. */
export function groupProofDepth(byteLength: number): number | undefined {
  const depth = (byteLength - GROUP_PROOF_HEAD_BYTES) / HASH_BYTES
  return Number.isInteger(depth) && depth >= 1 && depth <= GROUP_PROOF_MAX_DEPTH ? depth : undefined
}

/** The `prevHash` of a channel's first entry ever written. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(HASH_BYTES)

/**
 * One committed log entry. `seq` is the entry's place in the channel's total
 * order; `(author, authorSeq)` names the write that produced it, so a write
 * forwarded twice is recognised; `hash` covers every other field and
 * `prevHash`, chaining the log.
 */
export interface Entry {
  readonly channel: ChannelId
  readonly seq: Seq
  readonly author: PeerId
  readonly authorSeq: number
  readonly payload: Uint8Array
  readonly prevHash: Uint8Array
  readonly hash: Uint8Array
  readonly signature?: Uint8Array
  /**
   * With `signature`, when the author signed a group of writes at once:
   * where this write sits in the group (core/crypto/signed-groups.ts).
   */
  readonly groupProof?: Uint8Array
}

/**
 * What a writer supplies; the log assigns `seq` and the hashes. The
 * author's signature (see core/crypto/entry-signing) covers only these
 * fields, so it stays valid wherever the leader places the write.
 */
export interface EntryDraft {
  readonly author: PeerId
  readonly authorSeq: number
  readonly payload: Uint8Array
  readonly signature?: Uint8Array
  readonly groupProof?: Uint8Array
}

/** What proves a write's author: its signature, and its group proof when signed in a group. */
export interface AuthorProof {
  readonly signature?: Uint8Array
  readonly groupProof?: Uint8Array
}

/** `item`'s signature and group proof as fields to spread into a copy (none when unsigned). */
export function authorProofOf(
  item: AuthorProof,
  copy: (bytes: Uint8Array) => Uint8Array = (bytes) => bytes,
): AuthorProof {
  const { signature, groupProof } = item
  if (signature === undefined) return {}
  return groupProof === undefined
    ? { signature: copy(signature) }
    : { signature: copy(signature), groupProof: copy(groupProof) }
}

/** The position a new entry chains onto: the next seq and the hash before it. */
export interface ChainTail {
  readonly nextSeq: Seq
  readonly lastHash: Uint8Array
}
