/**
 * The replica's side of catch-up: check a SyncResponse chunk against the
 * local log and apply it. Nothing reaches the store unverified: the
 * entries must be dense from `firstSeq`, belong to this channel, chain
 * among themselves and each hash to its own contents (`verifyEntries`), so
 * a forged or damaged chunk changes nothing.
 *
 * Beyond the seed, the chunk is then placed against our log by hash, not
 * by seq alone: two leaders of one channel (a dual-leader window, a
 * partition) can write different entries at the same seqs, and a replica
 * must not append the leader's entries after a suffix the leader never
 * had. Where the chunk overlaps entries we hold, their hashes are
 * compared; where it starts at our tail, its first prevHash must be our
 * last hash.
 *
 * Outcomes are values, not exceptions; the runtime reacts to each kind:
 * - ok, possibly with `replacedEntries`: the chunk attaches to our log at
 *   some seq and disagrees after it; our entries from there were cut and
 *   the leader's appended in their place.
 * - `diverged`: the chunk's entries and ours differ from its very start, so
 *   the fork is at or before `atSeq`, our entry there is not the leader's;
 *   the runtime cuts our log back and asks again.
 * - `stale-chunk`: we already hold every entry of the chunk, identical.
 * - `gap-before-chunk`: the chunk starts past our tail. If it starts at the
 *   leader's first retained seq the leader trimmed history we never got;
 *   any other start suggests the logs diverged.
 * - `forged-entries`: an entry we would take is not signed by its author
 *   (signed entries); checked before anything is cut or appended, so a
 *   forgery changes nothing.
 * - `append-failed`: the store is full (the seed's AppendFailed); the
 *   disk-pressure policy decides.
 * - the rest (`malformed`, `invalid-entries`, ...) drop the chunk; the next
 *   heartbeat's request retries.
 */
import { equals } from 'uint8arrays/equals'
import { checkSignatures, type EntrySignaturePolicy } from '../crypto/entry-signing.js'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { verifyEntries, verifyRun } from '../log/entry-chain.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { EntryRun } from '../log/entry-run.js'
import type { ChannelId, Seq } from '../log/ids.js'
import {
  ForgedEntryError,
  HashMismatchError,
  SeqConflictError,
  StorageFullError,
} from '../log/log-errors.js'
import type { ChannelState, LogStore } from '../log/log-store.js'
import { rebuiltGroups } from '../log/run-wire.js'
import type { SyncResponse } from './messages.js'
import { claimHolds, responseRun } from './packed-response.js'

export type ApplyError =
  | { readonly kind: 'channel-mismatch' }
  | { readonly kind: 'malformed'; readonly detail: string }
  | { readonly kind: 'stale-chunk'; readonly firstSeq: Seq; readonly localNext: Seq }
  | { readonly kind: 'diverged'; readonly atSeq: Seq }
  | {
      readonly kind: 'gap-before-chunk'
      readonly firstSeq: Seq
      readonly localNext: Seq
      readonly divergenceSuspected: boolean
    }
  | { readonly kind: 'invalid-entries'; readonly cause: unknown }
  | { readonly kind: 'forged-entries'; readonly cause: ForgedEntryError }
  | { readonly kind: 'append-failed'; readonly cause: StorageFullError }
  | { readonly kind: 'append-rejected'; readonly cause: unknown }

export type ApplyResult =
  | {
      readonly ok: true
      readonly newTail: Seq
      readonly appliedEntries: number
      readonly appliedBytes: number
      /** Our entries that were not the leader's and were cut (0 almost always). */
      readonly replacedEntries: number
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

/**
 * Our hash at `seq`: the tail's from state, a held entry's from the store,
 * and just below the first held entry its prevHash; undefined when unknown
 * (below what we hold, or a skipped-to tail without an anchor).
 */
async function localHashAt(
  store: LogStore,
  channel: ChannelId,
  local: ChannelState,
  seq: number,
): Promise<Uint8Array | undefined> {
  if (seq < 0) return GENESIS_HASH
  if (seq === local.nextSeq - 1) {
    return local.firstSeq === local.nextSeq && !local.anchored ? undefined : local.lastHash
  }
  if (seq >= local.firstSeq && seq < local.nextSeq) {
    return (await store.read(channel, seq as Seq, (seq + 1) as Seq))[0]?.hash
  }
  if (seq === local.firstSeq - 1 && local.firstSeq < local.nextSeq) {
    return (await store.read(channel, local.firstSeq, (local.firstSeq + 1) as Seq))[0]?.prevHash
  }
  return undefined
}

/** The first seq in the chunk's overlap with our log where the entries differ. */
async function firstDifference(
  store: LogStore,
  channel: ChannelId,
  entries: readonly Entry[],
  from: Seq,
  to: Seq,
): Promise<Seq> {
  if (from >= to) return from
  const ours = await store.read(channel, from, to)
  const base = (entries[0] as Entry).seq
  let seq = from as number
  while (
    seq < to &&
    equals((ours[seq - from] as Entry).hash, (entries[seq - base] as Entry).hash)
  ) {
    seq += 1
  }
  return seq as Seq
}

/** Called with the seqs [fromSeq, toSeq) about to be replaced, before they are cut. */
export type BeforeCut = (fromSeq: Seq, toSeq: Seq) => Promise<void>

export interface ApplyOptions {
  /** Runs before a divergent suffix is cut (to re-propose the writes in it). */
  readonly beforeCut?: BeforeCut
  /** How signatures are checked; without one they are not. */
  readonly signatures?: EntrySignaturePolicy | undefined
}

async function forgery(
  signatures: EntrySignaturePolicy | undefined,
  hasher: EntryHasher,
  channel: ChannelId,
  entries: readonly Entry[],
  known?: ReadonlyMap<number, Uint8Array>,
): Promise<ApplyError | undefined> {
  if (signatures === undefined) return undefined
  try {
    await checkSignatures(signatures, hasher, channel, entries, known)
    return undefined
  } catch (cause) {
    if (cause instanceof ForgedEntryError) return { kind: 'forged-entries', cause }
    throw cause
  }
}

/**
 * The common case, packed: a chunk off the wire that starts at our tail
 * and attaches to our last hash is verified and stored as it came, without
 * an object per entry. Anything else takes the general path below.
 */
async function appendAtTail(
  store: LogStore,
  hasher: EntryHasher,
  channel: ChannelId,
  run: EntryRun,
  signatures: EntrySignaturePolicy | undefined,
): Promise<ApplyResult> {
  try {
    verifyRun(hasher, run)
  } catch (cause) {
    return fail({ kind: 'invalid-entries', cause })
  }
  if (signatures !== undefined && (run.signedCount > 0 || signatures.required)) {
    const forged = await forgery(signatures, hasher, channel, run.entries(), rebuiltGroups(run))
    if (forged !== undefined) return fail(forged)
  }
  try {
    const state = await store.appendRun(channel, run)
    return {
      ok: true,
      newTail: state.nextSeq,
      appliedEntries: run.count,
      appliedBytes: run.payloadBytes,
      replacedEntries: 0,
    }
  } catch (cause) {
    if (cause instanceof StorageFullError) return fail({ kind: 'append-failed', cause })
    return fail({ kind: 'append-rejected', cause })
  }
}

function attachesAtTail(local: ChannelState, run: EntryRun): boolean {
  if (run.count === 0 || run.firstSeq !== local.nextSeq) return false
  const unknownTail = local.firstSeq === local.nextSeq && !local.anchored
  return unknownTail || equals(local.lastHash, run.prevHash)
}

export async function applySyncResponse(
  store: LogStore,
  hasher: EntryHasher,
  channel: ChannelId,
  response: SyncResponse,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const { beforeCut = async () => undefined, signatures } = options
  if (response.channelId !== channel) return fail({ kind: 'channel-mismatch' })
  if (!claimHolds(response)) {
    const cause = new HashMismatchError(
      `entries from seq ${response.firstSeq} do not hash to the last hash their sender claimed`,
      { details: { channel, firstSeq: response.firstSeq } },
    )
    return fail({ kind: 'invalid-entries', cause })
  }
  const run = responseRun(response)
  if (
    run !== undefined &&
    run.channel === channel &&
    run.firstSeq === response.firstSeq &&
    attachesAtTail(store.state(channel), run)
  ) {
    const result = await appendAtTail(store, hasher, channel, run, signatures)
    if (!raced(result)) return result
  }
  // Another writer (a sync session) may store entries at our tail while we
  // verify: the chunk is placed against them again rather than dropped.
  for (let attempt = 1; ; attempt++) {
    const result = await placeChunk(store, hasher, channel, response, beforeCut, signatures)
    if (!raced(result) || attempt >= PLACE_ATTEMPTS) return result
  }
}

/** Times a chunk is placed against a log that other writers keep extending. */
const PLACE_ATTEMPTS = 3

function raced(result: ApplyResult): boolean {
  return (
    !result.ok &&
    result.error.kind === 'append-rejected' &&
    result.error.cause instanceof SeqConflictError
  )
}

/** The general path: a chunk placed against our log by hash, wherever it starts. */
async function placeChunk(
  store: LogStore,
  hasher: EntryHasher,
  channel: ChannelId,
  response: SyncResponse,
  beforeCut: BeforeCut,
  signatures: EntrySignaturePolicy | undefined,
): Promise<ApplyResult> {
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
    return {
      ok: true,
      newTail: local.nextSeq,
      appliedEntries: 0,
      appliedBytes: 0,
      replacedEntries: 0,
    }
  }
  if (firstSeq > local.nextSeq) {
    // Nothing is taken yet, but the runtime skips our log forward to this
    // chunk: a forged one must not move us.
    try {
      verifyEntries(hasher, response.entries, { nextSeq: firstSeq })
    } catch (cause) {
      return fail({ kind: 'invalid-entries', cause })
    }
    const forged = await forgery(signatures, hasher, channel, response.entries)
    if (forged !== undefined) return fail(forged)
    return fail({
      kind: 'gap-before-chunk',
      firstSeq,
      localNext: local.nextSeq,
      divergenceSuspected: firstSeq !== response.leaderFirstRetainedSeq,
    })
  }
  try {
    verifyEntries(hasher, response.entries, { nextSeq: firstSeq })
  } catch (cause) {
    return fail({ kind: 'invalid-entries', cause })
  }
  const end = (firstSeq + count) as Seq
  // Wholly below what we retain: nothing to compare it with, nothing to take.
  if (end <= local.firstSeq)
    return fail({ kind: 'stale-chunk', firstSeq, localNext: local.nextSeq })
  // Where do the chunk and our log part? Compare the entries both hold...
  const from = Math.max(firstSeq, local.firstSeq) as Seq
  const fork = await firstDifference(
    store,
    channel,
    response.entries,
    from,
    Math.min(end, local.nextSeq) as Seq,
  )
  // ...and, when none matched, whether the chunk attaches just below the fork.
  if (fork === from) {
    const prev =
      fork === firstSeq
        ? (response.entries[0] as Entry).prevHash
        : (response.entries[fork - 1 - firstSeq] as Entry).hash
    const ours = await localHashAt(store, channel, local, fork - 1)
    if (ours !== undefined && !equals(ours, prev))
      return fail({ kind: 'diverged', atSeq: (fork - 1) as Seq })
  }
  if (fork === end) return fail({ kind: 'stale-chunk', firstSeq, localNext: local.nextSeq })
  // Only the entries we would take need their signatures checked: the
  // ones we already hold matched ours by hash.
  const fresh = response.entries.slice(fork - firstSeq)
  const forged = await forgery(signatures, hasher, channel, fresh)
  if (forged !== undefined) return fail(forged)
  let replacedEntries = 0
  try {
    if (fork < local.nextSeq) {
      // Our entries from the fork on are not the leader's: theirs take the place.
      await beforeCut(fork, local.nextSeq)
      await store.truncateAfter(channel, fork - 1)
      replacedEntries = local.nextSeq - fork
    }
    const state = await store.append(channel, fresh)
    let appliedBytes = 0
    for (const entry of fresh) appliedBytes += entry.payload.byteLength
    return {
      ok: true,
      newTail: state.nextSeq,
      appliedEntries: fresh.length,
      appliedBytes,
      replacedEntries,
    }
  } catch (cause) {
    if (cause instanceof StorageFullError) return fail({ kind: 'append-failed', cause })
    return fail({ kind: 'append-rejected', cause })
  }
}
