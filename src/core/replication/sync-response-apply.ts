/**
 * The replica's side of catch-up: check a SyncResponse chunk against the
 * local log and append it. Nothing reaches the store unverified: the
 * entries must be dense from `firstSeq`, belong to this channel, chain onto
 * our tail and each hash to its own contents (`verifyEntries`), so a forged
 * or damaged chunk changes nothing.
 *
 * Outcomes are values, not exceptions; the runtime reacts to each kind:
 * - `gap-before-chunk`: the chunk starts past our tail. If it starts at the
 *   leader's first retained seq the leader trimmed history we never got;
 *   any other start suggests the logs diverged.
 * - `append-failed`: the store is full (the seed's AppendFailed); the
 *   disk-pressure policy decides.
 * - the rest (`stale-chunk`, `malformed`, `invalid-entries`, ...) drop the
 *   chunk; the next heartbeat's request retries.
 */
import type { Entry } from '../log/entry.js'
import { verifyEntries } from '../log/entry-chain.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, Seq } from '../log/ids.js'
import { StorageFullError } from '../log/log-errors.js'
import type { LogStore } from '../log/log-store.js'
import type { SyncResponse } from './messages.js'

export type ApplyError =
  | { readonly kind: 'channel-mismatch' }
  | { readonly kind: 'malformed'; readonly detail: string }
  | { readonly kind: 'stale-chunk'; readonly firstSeq: Seq; readonly localNext: Seq }
  | {
      readonly kind: 'gap-before-chunk'
      readonly firstSeq: Seq
      readonly localNext: Seq
      readonly divergenceSuspected: boolean
    }
  | { readonly kind: 'invalid-entries'; readonly cause: unknown }
  | { readonly kind: 'append-failed'; readonly cause: StorageFullError }
  | { readonly kind: 'append-rejected'; readonly cause: unknown }

export type ApplyResult =
  | {
      readonly ok: true
      readonly newTail: Seq
      readonly appliedEntries: number
      readonly appliedBytes: number
    }
  | { readonly ok: false; readonly error: ApplyError }

function fail(error: ApplyError): ApplyResult {
  return { ok: false, error }
}

function shapeProblem(channel: ChannelId, response: SyncResponse): string | undefined {
  for (const [index, entry] of response.entries.entries()) {
    if (entry.channel !== channel) return `entry ${index} belongs to another channel`
    if (entry.seq !== response.firstSeq + index) {
      return `entry ${index} has seq ${entry.seq}, expected ${response.firstSeq + index}`
    }
  }
  return undefined
}

export async function applySyncResponse(
  store: LogStore,
  hasher: EntryHasher,
  channel: ChannelId,
  response: SyncResponse,
): Promise<ApplyResult> {
  if (response.channelId !== channel) return fail({ kind: 'channel-mismatch' })
  const problem = shapeProblem(channel, response)
  if (problem !== undefined) return fail({ kind: 'malformed', detail: problem })

  const local = store.state(channel)
  const firstSeq = response.firstSeq
  const count = response.entries.length
  if (count === 0) {
    // An empty chunk can confirm our tail but never move it.
    if (firstSeq > local.nextSeq) {
      return fail({ kind: 'malformed', detail: `empty chunk starts at ${firstSeq}, past our tail` })
    }
    return { ok: true, newTail: local.nextSeq, appliedEntries: 0, appliedBytes: 0 }
  }
  if (firstSeq + count <= local.nextSeq) {
    return fail({ kind: 'stale-chunk', firstSeq, localNext: local.nextSeq })
  }
  if (firstSeq > local.nextSeq) {
    return fail({
      kind: 'gap-before-chunk',
      firstSeq,
      localNext: local.nextSeq,
      divergenceSuspected: firstSeq !== response.leaderFirstRetainedSeq,
    })
  }
  // Entries we already hold are dropped; the rest must chain onto our tail.
  const fresh: readonly Entry[] = response.entries.slice(local.nextSeq - firstSeq)
  try {
    verifyEntries(
      hasher,
      fresh,
      local.anchored
        ? { nextSeq: local.nextSeq, lastHash: local.lastHash }
        : { nextSeq: local.nextSeq },
    )
  } catch (cause) {
    return fail({ kind: 'invalid-entries', cause })
  }
  try {
    const state = await store.append(channel, fresh)
    let appliedBytes = 0
    for (const entry of fresh) appliedBytes += entry.payload.byteLength
    return { ok: true, newTail: state.nextSeq, appliedEntries: fresh.length, appliedBytes }
  } catch (cause) {
    if (cause instanceof StorageFullError) return fail({ kind: 'append-failed', cause })
    return fail({ kind: 'append-rejected', cause })
  }
}
