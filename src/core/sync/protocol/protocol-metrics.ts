/**
 * Counters of the sync session protocol, one instance per runner: what the
 * sessions concluded, what moved, and every frame or session dropped,
 * by reason.
 */
import { DropCounter } from '../../queue/drop-counter.js'
import type { SessionVerdict } from '../session-job.js'

export const PROTOCOL_DROP_REASONS = [
  /** A frame for a session we do not know (never opened, or long gone). */
  'unknown-session',
  /** A frame for a session that just ended. */
  'late-frame',
  /** The session's inbox was full. */
  'inbox-full',
  /** A duplicate or out-of-turn frame inside a live session (an old requestSeq, a second head). */
  'stale-frame',
  /** An open refused: too many responder sessions, or the actor refused the job. */
  'responder-busy',
  /** An open refused because the runner is stopping. */
  'shutting-down',
] as const
export type ProtocolDropReason = (typeof PROTOCOL_DROP_REASONS)[number]

export interface SyncProtocolCounters {
  readonly verdicts: Readonly<Record<SessionVerdict, number>>
  readonly chunksReceived: number
  readonly chunksRejected: number
  /** Chunks rejected because an entry was not signed by its author (signed entries). */
  readonly forgedEntries: number
  readonly entriesAppended: number
  readonly chunksServed: number
  readonly entriesServed: number
  readonly proofsRejected: number
  readonly requestRetries: number
  /** Verified chunks not appended because the log moved under the session (the runtime appended). */
  readonly appendRaces: number
  readonly budgetWaitMs: number
  readonly drops: Readonly<Record<ProtocolDropReason, number>> & { readonly total: number }
}

export class SyncProtocolMetrics {
  readonly drops = new DropCounter<ProtocolDropReason>(PROTOCOL_DROP_REASONS)
  readonly verdicts: Record<SessionVerdict, number> = {
    'in-sync': 0,
    'caught-up': 0,
    'remote-behind': 0,
    diverged: 0,
    served: 0,
  }
  chunksReceived = 0
  chunksRejected = 0
  forgedEntries = 0
  entriesAppended = 0
  chunksServed = 0
  entriesServed = 0
  proofsRejected = 0
  requestRetries = 0
  appendRaces = 0

  snapshot(budgetWaitMs: number): SyncProtocolCounters {
    return {
      verdicts: { ...this.verdicts },
      chunksReceived: this.chunksReceived,
      chunksRejected: this.chunksRejected,
      forgedEntries: this.forgedEntries,
      entriesAppended: this.entriesAppended,
      chunksServed: this.chunksServed,
      entriesServed: this.entriesServed,
      proofsRejected: this.proofsRejected,
      requestRetries: this.requestRetries,
      appendRaces: this.appendRaces,
      budgetWaitMs,
      drops: this.drops.snapshot(),
    }
  }
}
