/**
 * The leader's side of catch-up: turn a SyncRequest into the chunk that
 * answers it, read from the local store, or into a NACK. Role checks and
 * the bandwidth budget belong to the runtime; this only reads.
 *
 * - `sinceSeq` below our first retained seq: NACK `bad-range` carrying that
 *   seq (seed 001, R-40), so the replica skips to it in one round trip.
 * - `sinceSeq` at or past our tail: an empty chunk (nothing to send).
 * - otherwise: entries from `sinceSeq`, at most `chunkMax` payload bytes
 *   (0 means the default; never above the hard ceiling) and at most
 *   SYNC_CHUNK_MAX_ENTRIES entries, but always at least one.
 */
import { EntryRun } from '../log/entry-run.js'
import type { ChannelId, Seq } from '../log/ids.js'
import { RangeEvictedError } from '../log/log-errors.js'
import type { LogStore } from '../log/log-store.js'
import {
  type NackReason,
  SYNC_CHUNK_HARD_CEILING_BYTES,
  SYNC_CHUNK_MAX_DEFAULT_BYTES,
  SYNC_CHUNK_MAX_ENTRIES,
  type SyncRequest,
  type SyncResponse,
} from './messages.js'
import { packedSyncResponse } from './packed-response.js'

export type SyncRequestOutcome =
  | { readonly kind: 'response'; readonly response: SyncResponse }
  | {
      readonly kind: 'nack'
      readonly reason: NackReason
      readonly leaderFirstRetainedSeq: Seq
      readonly detail: string
    }

/** The payload budget a request's `chunkMax` stands for. */
export function chunkBudgetBytes(chunkMax: number): number {
  if (!Number.isFinite(chunkMax) || chunkMax <= 0) return SYNC_CHUNK_MAX_DEFAULT_BYTES
  return Math.min(Math.floor(chunkMax), SYNC_CHUNK_HARD_CEILING_BYTES)
}

function badRange(since: Seq, firstSeq: Seq): SyncRequestOutcome {
  return {
    kind: 'nack',
    reason: 'bad-range',
    leaderFirstRetainedSeq: firstSeq,
    detail: `seqs below ${firstSeq} are no longer held (asked from ${since})`,
  }
}

export async function handleSyncRequest(
  store: LogStore,
  channel: ChannelId,
  request: SyncRequest,
): Promise<SyncRequestOutcome> {
  const state = store.state(channel)
  const since = request.sinceSeq
  const respond = (run: EntryRun, firstRetained: Seq): SyncRequestOutcome => ({
    kind: 'response',
    response: packedSyncResponse(
      {
        channelId: channel,
        firstSeq: since,
        leaderFirstRetainedSeq: firstRetained,
        requestId: request.requestId,
      },
      run,
    ),
  })
  if (since < state.firstSeq) return badRange(since, state.firstSeq)
  if (since >= state.nextSeq) return respond(EntryRun.empty(channel, since), state.firstSeq)
  try {
    // Packed, as storage holds them: no object per entry between the store and the wire.
    const run = await store.readRun(channel, since, undefined, {
      maxBytes: chunkBudgetBytes(request.chunkMax),
      maxEntries: SYNC_CHUNK_MAX_ENTRIES,
      // Encoded into the answer's frame and let go: no copy needed.
      shared: true,
    })
    return respond(run, store.state(channel).firstSeq)
  } catch (error) {
    // Retention swept the range between state() and read().
    if (error instanceof RangeEvictedError) return badRange(since, store.state(channel).firstSeq)
    throw error
  }
}
