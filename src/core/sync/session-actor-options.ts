/**
 * The session actor's options and limits, with seed 000's defaults, and the
 * shape of its metrics snapshot.
 */
import { InvalidArgumentError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../time/clock.js'
import type { SessionRunner, SyncSessionResult } from './session-job.js'
import type { SyncSessionCounters, SyncSessionMetrics } from './session-metrics.js'

/** seed 000: 256 queued jobs cover bursts well past the periodic-sync retry. */
export const SYNC_SESSION_MAILBOX_CAPACITY = 256
export const DEFAULT_MAX_CONCURRENT_SESSIONS = 30
export const DEFAULT_SESSION_DEADLINE_MS = 30_000
export const SESSION_SUMMARY_INTERVAL_MS = 60_000
export const DEFAULT_SESSION_DRAIN_MS = 2_000

export interface SyncSessionActorOptions<Inbound = unknown> {
  readonly runner: SessionRunner<Inbound>
  readonly clock: Clock
  readonly logger?: Logger
  /** Receives every initiator result; without it results are discarded. */
  readonly onResult?: (result: SyncSessionResult) => void
  readonly mailboxCapacity?: number
  readonly maxConcurrent?: number
  /** Jobs admitted to wait for a slot before the loop stops taking jobs (default: mailbox capacity). */
  readonly maxWaitingForSlot?: number
  readonly sessionDeadlineMs?: number
  readonly summaryIntervalMs?: number
  /** Counters to record into; pass one that outlives the actor to keep totals across restarts. */
  readonly metrics?: SyncSessionMetrics
}

export type SyncSessionActorState = 'idle' | 'running' | 'stopping' | 'stopped'

export interface SyncSessionActorSnapshot extends SyncSessionCounters {
  readonly state: SyncSessionActorState
  /** Dispatched sessions not yet settled: waiting for a slot or running. */
  readonly inFlight: number
  /** Channels with an initiator in flight. */
  readonly inFlightChannels: number
  readonly waitingForSlot: number
  readonly running: number
  /** Jobs in the mailbox, not yet dispatched. */
  readonly queued: number
}

export interface SessionActorLimits {
  readonly mailboxCapacity: number
  readonly maxConcurrent: number
  readonly maxWaitingForSlot: number
  readonly sessionDeadlineMs: number
  readonly summaryIntervalMs: number
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback
  if (!Number.isSafeInteger(chosen) || chosen < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer`, {
      details: { [name]: chosen },
    })
  }
  return chosen
}

/** The options' limits with defaults filled in; throws InvalidArgumentError on a bad one. */
export function sessionActorLimits(options: SyncSessionActorOptions): SessionActorLimits {
  const mailboxCapacity = positiveInteger(
    'mailboxCapacity',
    options.mailboxCapacity,
    SYNC_SESSION_MAILBOX_CAPACITY,
  )
  return {
    mailboxCapacity,
    maxConcurrent: positiveInteger(
      'maxConcurrent',
      options.maxConcurrent,
      DEFAULT_MAX_CONCURRENT_SESSIONS,
    ),
    maxWaitingForSlot: positiveInteger(
      'maxWaitingForSlot',
      options.maxWaitingForSlot,
      mailboxCapacity,
    ),
    sessionDeadlineMs: positiveInteger(
      'sessionDeadlineMs',
      options.sessionDeadlineMs,
      DEFAULT_SESSION_DEADLINE_MS,
    ),
    summaryIntervalMs: positiveInteger(
      'summaryIntervalMs',
      options.summaryIntervalMs,
      SESSION_SUMMARY_INTERVAL_MS,
    ),
  }
}
