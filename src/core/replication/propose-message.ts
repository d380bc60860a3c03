/**
 * Beyond the seed: the Propose frame. A peer that is not the leader forwards
 * the writes waiting in its outbox to the leader it believes in; the leader
 * commits each `(author, authorSeq)` once, in authorSeq order per author, and
 * ignores the rest. There is no answer: the proposer learns the commit by
 * replicating the log, and proposes again (with backoff) until it does.
 */
import type { ChannelId } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'

/** Most writes one Propose carries. */
export const PROPOSE_MAX_ENTRIES = 256
/** Most payload bytes one Propose carries (a single larger write travels alone). */
export const PROPOSE_MAX_BYTES = 1 << 20

export interface Propose {
  readonly channelId: ChannelId
  /** 1 to PROPOSE_MAX_ENTRIES writes, no key twice; signatures travel untouched. */
  readonly entries: readonly OutboxEntry[]
}

/**
 * Splits writes into Propose-sized batches, in order: at most
 * PROPOSE_MAX_ENTRIES each and PROPOSE_MAX_BYTES of payload, except that a
 * write larger than that travels alone.
 */
export function proposeBatches(entries: readonly OutboxEntry[]): OutboxEntry[][] {
  const batches: OutboxEntry[][] = []
  let batch: OutboxEntry[] = []
  let bytes = 0
  for (const entry of entries) {
    const size = entry.payload.byteLength
    if (
      batch.length > 0 &&
      (batch.length >= PROPOSE_MAX_ENTRIES || bytes + size > PROPOSE_MAX_BYTES)
    ) {
      batches.push(batch)
      batch = []
      bytes = 0
    }
    batch.push(entry)
    bytes += size
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}
