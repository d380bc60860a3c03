/**
 * The leader's dedupe rule for forwarded writes, as a pure function. Per
 * author, writes commit in authorSeq order with no hole: the next one a
 * leader takes is the author's high-water mark + 1. One at or below the
 * mark is already in the log (a duplicate: a re-send, a re-proposal after
 * divergence repair, a frame delivered twice). One past mark + 1 waits: an
 * earlier write of the same author has not reached this leader yet (frames
 * reordered, or still in another peer's outbox), and committing it first
 * would make that earlier one look like a duplicate and lose it.
 */
import type { PeerId } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'

export interface ProposePlan {
  /** To commit, in this order. */
  readonly accepted: readonly OutboxEntry[]
  /** Already committed here. */
  readonly duplicates: number
  /** Not yet committable: an earlier write of the author is missing. */
  readonly waiting: number
}

export function planProposals(
  entries: readonly OutboxEntry[],
  markOf: (author: PeerId) => number,
): ProposePlan {
  const byAuthor = new Map<PeerId, OutboxEntry[]>()
  for (const entry of entries) {
    const list = byAuthor.get(entry.author)
    if (list === undefined) byAuthor.set(entry.author, [entry])
    else list.push(entry)
  }
  const accepted: OutboxEntry[] = []
  let duplicates = 0
  let waiting = 0
  for (const [author, list] of byAuthor) {
    list.sort((a, b) => a.authorSeq - b.authorSeq)
    let expected = markOf(author) + 1
    for (const entry of list) {
      if (entry.authorSeq < expected) duplicates += 1
      else if (entry.authorSeq === expected) {
        accepted.push(entry)
        expected += 1
      } else waiting += 1
    }
  }
  return { accepted, duplicates, waiting }
}
