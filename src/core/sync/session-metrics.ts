/**
 * Accounting for the sync session actor (seed 000): drops by reason, with
 * the total derived from the reasons (no second source of truth), and the
 * processed / error / timeout outcome counters. One instance can outlive an
 * actor, so drops recorded while no actor runs land in the same counters.
 */
import { DropCounter } from '../queue/drop-counter.js'

/** Why a session job was dropped instead of run. */
export type DropReason =
  /** The mailbox was at capacity. */
  | 'mailboxFull'
  /** The actor was stopped or stopping. */
  | 'actorClosed'
  /** An initiator arrived for a channel that already has one in flight. */
  | 'channelBusy'

export const DROP_REASONS: readonly DropReason[] = ['mailboxFull', 'actorClosed', 'channelBusy']

export type SessionStatus = 'ok' | 'error' | 'timeout'

export interface SyncSessionCounters {
  readonly processedTotal: number
  readonly errorTotal: number
  readonly timeoutTotal: number
  readonly dropped: Readonly<Record<DropReason, number>> & { readonly total: number }
}

export class SyncSessionMetrics {
  readonly #drops = new DropCounter<DropReason>(DROP_REASONS)
  #processed = 0
  #errors = 0
  #timeouts = 0

  recordDrop(reason: DropReason): void {
    this.#drops.record(reason)
  }

  /** Drops recorded for one reason. */
  count(reason: DropReason): number {
    return this.#drops.get(reason)
  }

  /** Drops across all reasons: the sum of the per-reason counters. */
  droppedTotal(): number {
    return this.#drops.total
  }

  recordOutcome(status: SessionStatus): void {
    if (status === 'ok') this.#processed++
    else if (status === 'error') this.#errors++
    else this.#timeouts++
  }

  snapshot(): SyncSessionCounters {
    return {
      processedTotal: this.#processed,
      errorTotal: this.#errors,
      timeoutTotal: this.#timeouts,
      dropped: this.#drops.snapshot(),
    }
  }
}
