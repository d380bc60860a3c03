/**
 * The rules every LogStore applies before it writes, as pure functions over
 * a channel's committed state. Stores differ only in how they persist.
 */
import { equals } from 'uint8arrays/equals'
import { describeValue, InvalidArgumentError } from '../errors.js'
import { type Entry, GENESIS_HASH, groupProofDepth, HASH_BYTES, SIGNATURE_BYTES } from './entry.js'
import { EntryRun } from './entry-run.js'
import { type ChannelId, isSeqNumber, type Seq } from './ids.js'
import { ChainBrokenError, RangeEvictedError, SeqConflictError, SeqGapError } from './log-errors.js'
import type { ChannelState, RetentionPolicy } from './log-store.js'

export function emptyChannelState(channel: ChannelId): ChannelState {
  return {
    channel,
    firstSeq: 0 as Seq,
    nextSeq: 0 as Seq,
    lastHash: GENESIS_HASH,
    anchored: true,
    payloadBytes: 0,
    retention: {},
  }
}

function checkEntryShape(channel: ChannelId, entry: Entry, index: number): void {
  const bad = (message: string): never => {
    throw new InvalidArgumentError(`entry ${index}: ${message}`, {
      details: { channel, index, seq: describeValue(entry?.seq) },
    })
  }
  if (entry === null || typeof entry !== 'object') bad('not an entry object')
  if (entry.channel !== channel) bad(`belongs to channel ${describeValue(entry.channel)}`)
  if (!isSeqNumber(entry.seq)) bad('seq must be a non-negative safe integer')
  if (!isSeqNumber(entry.authorSeq)) bad('authorSeq must be a non-negative safe integer')
  if (typeof entry.author !== 'string' || entry.author.length === 0) bad('author missing')
  if (!(entry.payload instanceof Uint8Array)) bad('payload must be a Uint8Array')
  if (!(entry.hash instanceof Uint8Array) || entry.hash.byteLength !== HASH_BYTES) {
    bad(`hash must be ${HASH_BYTES} bytes`)
  }
  if (!(entry.prevHash instanceof Uint8Array) || entry.prevHash.byteLength !== HASH_BYTES) {
    bad(`prevHash must be ${HASH_BYTES} bytes`)
  }
  if (
    entry.signature !== undefined &&
    (!(entry.signature instanceof Uint8Array) || entry.signature.byteLength !== SIGNATURE_BYTES)
  ) {
    bad(`signature must be ${SIGNATURE_BYTES} bytes`)
  }
  if (
    entry.groupProof !== undefined &&
    (entry.signature === undefined ||
      !(entry.groupProof instanceof Uint8Array) ||
      groupProofDepth(entry.groupProof.byteLength) === undefined)
  ) {
    bad('a group proof needs a signature and a valid length')
  }
}

/** Checks a batch against the state it would extend; returns the state after it. */
export function applyAppend(
  state: ChannelState,
  channel: ChannelId,
  entries: readonly Entry[],
): ChannelState {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new InvalidArgumentError('append needs a non-empty array of entries', {
      details: { channel, entries: describeValue(entries) },
    })
  }
  let expectedSeq: number = state.nextSeq
  let prevHash: Uint8Array | undefined = state.anchored ? state.lastHash : undefined
  let payloadBytes = state.payloadBytes
  for (const [index, entry] of entries.entries()) {
    checkEntryShape(channel, entry, index)
    if (entry.seq < expectedSeq) {
      throw new SeqConflictError(`seq ${entry.seq} is already taken (next is ${expectedSeq})`, {
        details: { channel, index, seq: entry.seq, expected: expectedSeq },
      })
    }
    if (entry.seq > expectedSeq) {
      throw new SeqGapError(`seq ${entry.seq} leaves a gap (next is ${expectedSeq})`, {
        details: { channel, index, seq: entry.seq, expected: expectedSeq },
      })
    }
    if (prevHash !== undefined && !equals(entry.prevHash, prevHash)) {
      throw new ChainBrokenError(`entry ${entry.seq} does not chain onto seq ${entry.seq - 1}`, {
        details: { channel, index, seq: entry.seq },
      })
    }
    prevHash = entry.hash
    payloadBytes += entry.payload.byteLength
    expectedSeq += 1
  }
  const last = entries[entries.length - 1] as Entry
  return {
    ...state,
    nextSeq: expectedSeq as Seq,
    lastHash: last.hash,
    anchored: true,
    payloadBytes,
  }
}

/** As `applyAppend`, for a packed run (dense and chained by construction). */
export function applyAppendRun(
  state: ChannelState,
  channel: ChannelId,
  run: EntryRun,
): ChannelState {
  if (!(run instanceof EntryRun) || run.count === 0 || run.channel !== channel) {
    throw new InvalidArgumentError('append needs a non-empty run of entries of this channel', {
      details: { channel, run: describeValue(run) },
    })
  }
  if (run.firstSeq < state.nextSeq) {
    throw new SeqConflictError(`seq ${run.firstSeq} is already taken (next is ${state.nextSeq})`, {
      details: { channel, index: 0, seq: run.firstSeq, expected: state.nextSeq },
    })
  }
  if (run.firstSeq > state.nextSeq) {
    throw new SeqGapError(`seq ${run.firstSeq} leaves a gap (next is ${state.nextSeq})`, {
      details: { channel, index: 0, seq: run.firstSeq, expected: state.nextSeq },
    })
  }
  if (state.anchored && !equals(run.prevHash, state.lastHash)) {
    throw new ChainBrokenError(
      `entry ${run.firstSeq} does not chain onto seq ${run.firstSeq - 1}`,
      {
        details: { channel, index: 0, seq: run.firstSeq },
      },
    )
  }
  return {
    ...state,
    nextSeq: run.nextSeq,
    lastHash: run.lastHash.slice(),
    anchored: true,
    payloadBytes: state.payloadBytes + run.payloadBytes,
  }
}

export function checkReadRange(state: ChannelState, from: Seq, to: Seq | undefined): Seq {
  if (!isSeqNumber(from) || (to !== undefined && !isSeqNumber(to))) {
    throw new InvalidArgumentError('read range must be non-negative safe integers', {
      details: { channel: state.channel, from: describeValue(from), to: describeValue(to) },
    })
  }
  const end = Math.min(to ?? state.nextSeq, state.nextSeq) as Seq
  if (from < state.firstSeq && from < end) {
    throw new RangeEvictedError(`seqs below ${state.firstSeq} are no longer held`, {
      details: { channel: state.channel, from, firstSeq: state.firstSeq },
    })
  }
  return end
}

export function applySkipTo(
  state: ChannelState,
  target: Seq,
  anchorHash?: Uint8Array,
): ChannelState {
  if (!isSeqNumber(target)) {
    throw new InvalidArgumentError('skipTo needs a non-negative safe integer', {
      details: { channel: state.channel, seq: describeValue(target) },
    })
  }
  if (
    anchorHash !== undefined &&
    (!(anchorHash instanceof Uint8Array) || anchorHash.byteLength !== HASH_BYTES)
  ) {
    throw new InvalidArgumentError(`anchorHash must be ${HASH_BYTES} bytes`, {
      details: { channel: state.channel, anchorHash: describeValue(anchorHash) },
    })
  }
  if (target < state.nextSeq) {
    throw new SeqConflictError(`skipTo(${target}) would move the tail back from ${state.nextSeq}`, {
      details: { channel: state.channel, seq: target, nextSeq: state.nextSeq },
    })
  }
  if (target === state.nextSeq && state.firstSeq === state.nextSeq) return state
  return {
    ...state,
    firstSeq: target,
    nextSeq: target,
    lastHash: anchorHash ?? GENESIS_HASH,
    anchored: anchorHash !== undefined,
    payloadBytes: 0,
  }
}

/**
 * Validates `truncateAfter(lastKept)`; returns the seq the log will end at
 * (the new nextSeq), or undefined when nothing is cut.
 */
export function checkTruncate(state: ChannelState, lastKept: number): Seq | undefined {
  if (!Number.isSafeInteger(lastKept) || lastKept < -1) {
    throw new InvalidArgumentError('truncateAfter needs an integer >= -1', {
      details: { channel: state.channel, lastKept: describeValue(lastKept) },
    })
  }
  if (lastKept >= state.nextSeq - 1) return undefined
  if (lastKept < state.firstSeq - 1) {
    throw new RangeEvictedError(`cannot truncate into evicted seqs below ${state.firstSeq}`, {
      details: { channel: state.channel, lastKept, firstSeq: state.firstSeq },
    })
  }
  return (lastKept + 1) as Seq
}

export function checkRetentionPolicy(channel: ChannelId, policy: RetentionPolicy): RetentionPolicy {
  const result: { maxEntries?: number; maxBytes?: number } = {}
  for (const key of ['maxEntries', 'maxBytes'] as const) {
    const value = policy?.[key]
    if (value === undefined) continue
    if (!isSeqNumber(value)) {
      throw new InvalidArgumentError(`retention ${key} must be a non-negative safe integer`, {
        details: { channel, [key]: describeValue(value) },
      })
    }
    result[key] = value
  }
  return result
}

/**
 * Plans a retention sweep: feed it the retained entries' payload sizes,
 * oldest first, until `take` returns false; it then holds what to evict.
 */
export class SweepPlan {
  entries = 0
  bytes = 0
  #count: number
  #held: number

  constructor(private readonly state: ChannelState) {
    this.#count = state.nextSeq - state.firstSeq
    this.#held = state.payloadBytes
  }

  /** True while the channel is still over its policy. */
  get over(): boolean {
    const { maxEntries, maxBytes } = this.state.retention
    return (
      (maxEntries !== undefined && this.#count > maxEntries) ||
      (maxBytes !== undefined && this.#held > maxBytes)
    )
  }

  /** Evicts the next-oldest entry if the channel is still over; false once it fits. */
  take(payloadSize: number): boolean {
    if (!this.over) return false
    this.entries += 1
    this.bytes += payloadSize
    this.#count -= 1
    this.#held -= payloadSize
    return true
  }
}
