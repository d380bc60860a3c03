/**
 * Beyond the seed: what a replica knows, by hash, about its log agreeing
 * with the leader it follows. Heartbeats carry tails, not hashes, so equal
 * tails do not mean equal logs: after a dual-leader window or a partition,
 * two peers can hold different entries at the same seqs, and a replica
 * can hold a suffix its new leader never had. A chunk that attached to our
 * log (its first prevHash is our hash) or matched entries we hold proves
 * our log is a prefix of the leader's up to there: that is `confirm`.
 *
 * While a replica is not behind its leader and has not confirmed its tail
 * against it, it probes: one SyncRequest from just below its tail (or the
 * leader's, whichever is lower), whose answer overlaps an entry both hold.
 * A replica that confirms never probes again until it follows someone else.
 *
 * When a chunk shows our log parted from the leader's before the chunk
 * starts, the replica cuts its log back and asks again; `cutBack` says how
 * far below the divergent entry to cut: 0, then 1, 3, 7, ... entries on
 * consecutive divergences, so a fork d entries back takes about log2(d)
 * round trips. Entries cut in excess were the leader's too and come back
 * with the next chunk.
 */
import type { PeerId, Seq } from '../log/ids.js'

const MAX_DOUBLINGS = 30

export class ChainCheck {
  #leader: PeerId | undefined
  /** Our log below this seq is known to be a prefix of `#leader`'s. */
  #confirmedTo = 0
  #strikes = 0

  /** A chunk from `leader` attached to our log: ours is a prefix of its log below `seq`. */
  confirm(leader: PeerId, seq: number): void {
    this.#follow(leader)
    this.#confirmedTo = Math.max(this.#confirmedTo, seq)
    this.#strikes = 0
  }

  isConfirmed(leader: PeerId, tail: number): boolean {
    return leader === this.#leader && this.#confirmedTo >= tail
  }

  /**
   * Where a replica not behind `leader` should ask from to compare an entry
   * both hold; undefined when it holds nothing or already confirmed its tail.
   */
  probeSince(
    leader: PeerId,
    local: { readonly firstSeq: Seq; readonly nextSeq: Seq },
    leaderTail: Seq,
  ): Seq | undefined {
    if (local.nextSeq <= local.firstSeq || this.isConfirmed(leader, local.nextSeq)) return undefined
    return Math.max(local.firstSeq, Math.min(local.nextSeq, leaderTail) - 1) as Seq
  }

  /** One more divergence from `leader`: how many entries below the divergent one to cut too. */
  cutBack(leader: PeerId): number {
    this.#follow(leader)
    const extra = 2 ** Math.min(this.#strikes, MAX_DOUBLINGS) - 1
    this.#strikes += 1
    return extra
  }

  /** The followed leader changed: nothing is known about the next one. */
  forget(): void {
    this.#leader = undefined
    this.#confirmedTo = 0
    this.#strikes = 0
  }

  #follow(leader: PeerId): void {
    if (leader !== this.#leader) this.forget()
    this.#leader = leader
  }
}
