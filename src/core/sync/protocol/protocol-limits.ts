/**
 * Limits of the sync session protocol, with defaults. Chunk caps bound what
 * one frame carries (asked by the initiator, capped again by the
 * responder); the fetch budget bounds the rate, like the replication
 * runtime's background class; every wait has a timeout inside the actor's
 * session deadline, which bounds the whole session.
 */
import { InvalidArgumentError } from '../../errors.js'
import { SYNC_CHUNK_MAX_DEFAULT_BYTES } from '../../replication/messages.js'
import { MAX_ENTRIES_PER_FRAME, MAX_FRAME_BYTES } from '../../wire/wire-limits.js'

export interface SyncProtocolLimits {
  /** Entries the initiator asks for per chunk. */
  readonly maxChunkEntries: number
  /** Payload bytes the initiator asks for per chunk. */
  readonly maxChunkBytes: number
  /** Most entries a responder puts in one chunk, whatever it is asked. */
  readonly serveMaxEntries: number
  /** Most payload bytes a responder puts in one chunk, whatever it is asked. */
  readonly serveMaxBytes: number
  /** Responder sessions open at once (queued in the actor or running); more are refused `busy`. */
  readonly maxResponderSessions: number
  /** How long the initiator waits for each answer before asking again. */
  readonly requestTimeoutMs: number
  /** How many times the initiator asks before giving up on a request. */
  readonly requestAttempts: number
  /** A responder session that hears nothing for this long ends. */
  readonly responderIdleMs: number
  /** Fetch budget refill, payload bytes per second, shared by every initiator session. */
  readonly budgetBytesPerSecond: number
  /** Fetch budget bucket size, bytes: the largest burst. */
  readonly budgetBurstBytes: number
  /** Frames buffered per session before further ones are dropped (counted). */
  readonly sessionInboxCapacity: number
  /** Ended session ids remembered, so their late frames are told from unknown ones. */
  readonly recentSessions: number
}

export function defaultSyncProtocolLimits(): SyncProtocolLimits {
  return {
    maxChunkEntries: 512,
    maxChunkBytes: SYNC_CHUNK_MAX_DEFAULT_BYTES,
    serveMaxEntries: 1024,
    serveMaxBytes: 4 * SYNC_CHUNK_MAX_DEFAULT_BYTES,
    maxResponderSessions: 8,
    requestTimeoutMs: 3_000,
    requestAttempts: 3,
    responderIdleMs: 10_000,
    budgetBytesPerSecond: 4 * SYNC_CHUNK_MAX_DEFAULT_BYTES,
    budgetBurstBytes: 4 * SYNC_CHUNK_MAX_DEFAULT_BYTES,
    sessionInboxCapacity: 8,
    recentSessions: 256,
  }
}

const CEILINGS: Partial<Record<keyof SyncProtocolLimits, number>> = {
  maxChunkEntries: MAX_ENTRIES_PER_FRAME,
  serveMaxEntries: MAX_ENTRIES_PER_FRAME,
  maxChunkBytes: MAX_FRAME_BYTES / 2,
  serveMaxBytes: MAX_FRAME_BYTES / 2,
}

/** Defaults overridden by `overrides`; throws InvalidArgumentError on a limit that is not a positive integer. */
export function syncProtocolLimits(
  overrides: Partial<SyncProtocolLimits> = {},
): SyncProtocolLimits {
  const limits = { ...defaultSyncProtocolLimits(), ...overrides }
  for (const [key, value] of Object.entries(limits) as [keyof SyncProtocolLimits, number][]) {
    const ceiling = CEILINGS[key] ?? Number.MAX_SAFE_INTEGER
    if (!Number.isSafeInteger(value) || value < 1 || value > ceiling) {
      throw new InvalidArgumentError(`${key} must be an integer in [1, ${ceiling}]`, {
        details: { [key]: value },
      })
    }
  }
  return limits
}
