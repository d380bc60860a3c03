/** The loop's own counters (the action queue and chains keep theirs). */
import { DropCounter } from '../queue/drop-counter.js'

export type EventDropReason =
  | 'invalid_event'
  | 'peer_cap'
  | 'channel_cap'
  | 'recovery_dropped'
  | 'apply_failed'
  | 'discarded_at_exit'

export class LoopCounters {
  readonly droppedEvents = new DropCounter<EventDropReason>([
    'invalid_event',
    'peer_cap',
    'channel_cap',
    'recovery_dropped',
    'apply_failed',
    'discarded_at_exit',
  ])
  readonly probeFailures = new DropCounter<'locality' | 'health' | 'inventory'>([
    'locality',
    'health',
    'inventory',
  ])
  rejectedProbeSamples = 0
  recoveryFailures = 0
}
