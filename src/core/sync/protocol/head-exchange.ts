/**
 * The opening exchange of a session, as pure functions. The responder
 * answers the initiator's head (size m) with its own (size n), its root at
 * p = min(m, n) and an RFC 9162 consistency proof from p to n. The
 * initiator then knows, checking only hashes:
 *
 * - the proof fails: the responder contradicts itself (a lie, or a broken
 *   peer) and is blamed;
 * - our root at p differs from its root at p: the logs diverged (proven
 *   relative to its head), reported and never repaired here;
 * - otherwise in sync (n = m), behind (n < m) or ahead and consistent
 *   (n > m): entries [m, n) can be fetched and checked against its root.
 *
 * A consistency proof binds the roots, not the exact size: the proof from m
 * to n can also verify for a slightly larger claimed n with the same root.
 * Such a lie costs the liar nothing here but is caught by the first chunk,
 * whose range proof is checked against the claimed size and root.
 */
import { equals } from 'uint8arrays/equals'
import type { EntryHasher } from '../../log/entry-hasher.js'
import type { TreeHead } from '../merkle-hash.js'
import type { MerkleLog } from '../merkle-log.js'
import { verifyConsistency } from '../merkle-proof.js'

export interface HeadReply {
  readonly head: TreeHead
  readonly prefix: TreeHead
  readonly consistency: readonly Uint8Array[]
}

/** The responder's answer to an initiator whose log holds `initiatorSize` entries. */
export function buildHeadReply(tree: MerkleLog, initiatorSize: number): HeadReply {
  const head = tree.head()
  const prefixSize = Math.min(Math.max(0, initiatorSize), head.size)
  return {
    head,
    prefix: tree.head(prefixSize),
    consistency: tree.consistencyProof(prefixSize, head.size).path,
  }
}

export type HeadJudgement =
  | { readonly verdict: 'in-sync' | 'remote-behind' | 'remote-ahead' | 'diverged' }
  | { readonly verdict: 'proof-rejected'; readonly detail: string }

/**
 * What the initiator concludes. `localSize` is its size when it opened;
 * `localRoot(p)` its root at p <= localSize.
 */
export function judgeHeadReply(
  hasher: EntryHasher,
  localSize: number,
  localRoot: (size: number) => Uint8Array,
  reply: HeadReply,
): HeadJudgement {
  const expectedPrefix = Math.min(localSize, reply.head.size)
  if (reply.prefix.size !== expectedPrefix) {
    return {
      verdict: 'proof-rejected',
      detail: `prefix of ${reply.prefix.size} entries, expected ${expectedPrefix}`,
    }
  }
  const proof = { oldSize: reply.prefix.size, newSize: reply.head.size, path: reply.consistency }
  if (!verifyConsistency(hasher, reply.prefix, reply.head, proof)) {
    return { verdict: 'proof-rejected', detail: 'consistency proof does not verify' }
  }
  if (!equals(localRoot(expectedPrefix), reply.prefix.root)) return { verdict: 'diverged' }
  if (reply.head.size === localSize) return { verdict: 'in-sync' }
  return { verdict: reply.head.size < localSize ? 'remote-behind' : 'remote-ahead' }
}
