/**
 * Checks entries a peer sent against the root it claims and against our own
 * log (seed 003's MerkleVerifier, for log entries instead of facts).
 *
 * An entry is verified when (1) its hash is proven to sit at its seq in the
 * claimed tree, (2) its hash is the hash of its contents, and (3) it chains
 * densely onto our log: already held identically, or next after our tail.
 * (1) needs a RangeProof, except for a batch that ends exactly at the claimed
 * head and starts at or before our tail: then our own tree supplies the rest
 * and the root is recomputed locally. A membership failure rejects the whole
 * batch; otherwise entries are accepted up to the first bad one and the rest
 * are rejected as following it. Verification never appends.
 */
import { equals } from 'uint8arrays/equals'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { computeEntryHash } from '../log/entry-chain.js'
import type { ChannelId } from '../log/ids.js'
import type { ChannelMerkleIndex } from './channel-merkle-index.js'
import { hashLeaf, isHash, isTreeSize, type TreeHead } from './merkle-hash.js'
import type { MerkleLog } from './merkle-log.js'
import { type RangeProof, rootWithLeaves, verifyRange } from './merkle-proof.js'

export type EntryRejectionReason =
  /** Missing fields, seqs not dense, or hashes not 32 bytes: nothing about it can be proven. */
  | 'malformed'
  /** The batch is not in the claimed tree (bad proof, wrong root, wrong positions). */
  | 'root-mismatch'
  /** No proof, and the batch does not end at the claimed head from within our log. */
  | 'proof-required'
  /** We hold no tree for this channel (its log does not start at seq 0 here). */
  | 'local-tree-unavailable'
  | 'wrong-channel'
  /** The entry's hash is not the hash of its contents: forged or damaged. */
  | 'hash-mismatch'
  /** The entry does not chain onto the one before it (ours or the batch's). */
  | 'chain-broken'
  /** The entry starts past our tail: entries in between are missing. */
  | 'seq-gap'
  /** We hold a different entry at this seq: the logs diverged. */
  | 'conflicts-local'
  /** An earlier entry of the batch was rejected, so this one cannot chain. */
  | 'follows-rejected'

export interface RejectedEntry {
  readonly entry: Entry
  readonly reason: EntryRejectionReason
}

export interface EntryVerification {
  /** Entries that passed, in order; those at or past `localHead.size` can be appended. */
  readonly verified: Entry[]
  readonly rejected: RejectedEntry[]
  /** Our head when verification ran (verification never changes it). */
  readonly localHead: TreeHead | undefined
}

/**
 * How a peer's head relates to ours. `remote-behind` and `diverged` are
 * proven locally (we can compute our root at the peer's size); when the peer
 * is ahead, only its consistency proof can tell extension from divergence.
 */
export type MerkleComparison =
  | { readonly status: 'in-sync' }
  | { readonly status: 'remote-behind'; readonly local: TreeHead }
  | { readonly status: 'diverged'; readonly local: TreeHead }
  | { readonly status: 'remote-ahead'; readonly local: TreeHead }
  | { readonly status: 'unavailable' }

export interface VerificationStats {
  readonly totalVerified: number
  readonly totalRejected: number
  readonly rootComparisons: number
  readonly rootMatches: number
}

export class MerkleVerifier {
  readonly #index: ChannelMerkleIndex
  #verified = 0
  #rejected = 0
  #comparisons = 0
  #matches = 0

  constructor(index: ChannelMerkleIndex) {
    this.#index = index
  }

  localHead(channel: ChannelId): Promise<TreeHead | undefined> {
    return this.#index.head(channel)
  }

  async compareHeads(channel: ChannelId, remote: TreeHead): Promise<MerkleComparison> {
    this.#comparisons++
    const tree = await this.#index.tree(channel)
    if (tree === undefined || !isTreeSize(remote.size) || !isHash(remote.root)) {
      return { status: 'unavailable' }
    }
    const local = tree.head()
    if (remote.size > local.size) return { status: 'remote-ahead', local }
    if (!equals(tree.root(remote.size), remote.root)) return { status: 'diverged', local }
    if (remote.size < local.size) return { status: 'remote-behind', local }
    this.#matches++
    return { status: 'in-sync' }
  }

  async verifyIncomingEntries(
    channel: ChannelId,
    entries: readonly Entry[],
    claimed: TreeHead,
    proof?: RangeProof,
  ): Promise<EntryVerification> {
    const tree = await this.#index.tree(channel)
    const localHead = tree?.head()
    let verification: EntryVerification
    if (tree === undefined) {
      verification = rejectAll(entries, 'local-tree-unavailable', undefined)
    } else if (entries.length === 0) {
      verification = { verified: [], rejected: [], localHead }
    } else {
      const failure = this.#membershipFailure(tree, entries, claimed, proof)
      verification =
        failure === undefined
          ? this.#checkChain(tree, channel, entries, localHead)
          : rejectAll(entries, failure, localHead)
    }
    this.#verified += verification.verified.length
    this.#rejected += verification.rejected.length
    return verification
  }

  stats(): VerificationStats {
    return {
      totalVerified: this.#verified,
      totalRejected: this.#rejected,
      rootComparisons: this.#comparisons,
      rootMatches: this.#matches,
    }
  }

  #membershipFailure(
    tree: MerkleLog,
    entries: readonly Entry[],
    claimed: TreeHead,
    proof: RangeProof | undefined,
  ): EntryRejectionReason | undefined {
    const first = entries[0]?.seq
    const wellFormed =
      typeof first === 'number' &&
      entries.every(
        (e, i) => typeof e === 'object' && e !== null && e.seq === first + i && isHash(e.hash),
      )
    if (!wellFormed) return 'malformed'
    if (!isTreeSize(claimed.size) || !isHash(claimed.root)) return 'root-mismatch'
    const hashes = entries.map((e) => e.hash)
    const end = first + entries.length
    if (proof !== undefined) {
      const fits = proof.start === first && proof.end === end && proof.treeSize === claimed.size
      return fits && verifyRange(this.#index.hasher, hashes, proof, claimed.root)
        ? undefined
        : 'root-mismatch'
    }
    if (first > tree.size || end !== claimed.size) return 'proof-required'
    const hasher = this.#index.hasher
    const root = rootWithLeaves(
      hasher,
      claimed.size,
      first,
      hashes.map((h) => hashLeaf(hasher, h)),
      (lo, hi) => tree.subtreeRoot(lo, hi),
    )
    return root !== undefined && equals(root, claimed.root) ? undefined : 'root-mismatch'
  }

  #checkChain(
    tree: MerkleLog,
    channel: ChannelId,
    entries: readonly Entry[],
    localHead: TreeHead | undefined,
  ): EntryVerification {
    const verified: Entry[] = []
    const rejected: RejectedEntry[] = []
    let failed = false
    for (const [i, entry] of entries.entries()) {
      if (failed) {
        rejected.push({ entry, reason: 'follows-rejected' })
        continue
      }
      const reason = this.#entryFailure(tree, channel, entry, entries[i - 1])
      if (reason === undefined) {
        verified.push(entry)
      } else {
        rejected.push({ entry, reason })
        failed = true
      }
    }
    return { verified, rejected, localHead }
  }

  #entryFailure(
    tree: MerkleLog,
    channel: ChannelId,
    entry: Entry,
    previous: Entry | undefined,
  ): EntryRejectionReason | undefined {
    const hasher = this.#index.hasher
    if (entry.channel !== channel) return 'wrong-channel'
    if (!isHash(entry.prevHash)) return 'malformed'
    let contentHash: Uint8Array
    try {
      contentHash = computeEntryHash(hasher, entry)
    } catch {
      return 'malformed'
    }
    if (!equals(contentHash, entry.hash)) return 'hash-mismatch'
    if (previous !== undefined) {
      if (!equals(entry.prevHash, previous.hash)) return 'chain-broken'
    } else if (entry.seq > tree.size) {
      return 'seq-gap'
    } else if (entry.seq === 0) {
      if (!equals(entry.prevHash, GENESIS_HASH)) return 'chain-broken'
    } else if (!equals(hashLeaf(hasher, entry.prevHash), tree.leaf(entry.seq - 1))) {
      return 'chain-broken'
    }
    if (entry.seq < tree.size && !equals(hashLeaf(hasher, entry.hash), tree.leaf(entry.seq))) {
      return 'conflicts-local'
    }
    return undefined
  }
}

function rejectAll(
  entries: readonly Entry[],
  reason: EntryRejectionReason,
  localHead: TreeHead | undefined,
): EntryVerification {
  return { verified: [], rejected: entries.map((entry) => ({ entry, reason })), localHead }
}
