/**
 * What one tick does, in order: expire a lapsed freeze, poll probes, run
 * recovery handlers, retry pending chain appends, reconcile, and offer the
 * actions to the queue. Everything is stamped with the tick's time.
 */

import type { Logger } from '../logger.js'
import type { ActionQueue } from './action-queue.js'
import type { PendingAction } from './control-actions.js'
import type { ControlConfig } from './control-config.js'
import { deepFreeze } from './control-snapshot.js'
import type { ControlState } from './control-state.js'
import { foldEvent } from './fold-event.js'
import { expireFreeze } from './freeze-gate.js'
import type { LoopCounters } from './loop-counters.js'
import { pollProbes } from './poll-probes.js'
import type { ProbeRegistry } from './probes.js'
import type { RecentRing } from './recent-ring.js'
import { reconcile, recordQueuedAction } from './reconcile.js'
import type { RecoveryRegistry } from './recovery-registry.js'

export interface TickPassDeps {
  readonly state: ControlState
  readonly config: ControlConfig
  readonly logger: Logger
  readonly probes: ProbeRegistry
  readonly recovery: RecoveryRegistry
  readonly actions: ActionQueue
  readonly recentlyEmitted: RecentRing<PendingAction>
  readonly counters: LoopCounters
  readonly records: { flushChains(): void }
  readonly nextActionId: () => number
}

function recover(deps: TickPassDeps, now: number): void {
  const { state, config, counters } = deps
  if (deps.recovery.size === 0) return
  const outcome = deps.recovery.runAll(
    {
      now,
      thisPeer: state.thisPeer,
      connected: state.connected,
      health: state.health,
      runtimes: state.runtimes,
    },
    config.maxRecoveryEventsPerTick,
    deps.logger,
  )
  counters.recoveryFailures += outcome.failedHandlers
  if (outcome.dropped > 0) counters.droppedEvents.record('recovery_dropped', outcome.dropped)
  for (const event of outcome.events) {
    const rejection = foldEvent(state, event, config, now)
    if (rejection !== undefined) counters.droppedEvents.record(rejection)
  }
}

function queueActions(deps: TickPassDeps, now: number): void {
  let dropped = 0
  for (const action of reconcile(deps.state, deps.config, now)) {
    // seed 002: emittedAt is the tick, not a fresh clock read, so a replay stamps identically
    const pending: PendingAction = deepFreeze({ id: deps.nextActionId(), action, emittedAt: now })
    // seed 002: only actions the queue accepted are recorded as emitted
    if (deps.actions.offer(pending)) {
      recordQueuedAction(deps.state, action, deps.config, now)
      deps.recentlyEmitted.push(pending)
    } else {
      dropped++
    }
  }
  if (dropped > 0) {
    deps.logger.warn('reconcile output dropped: action queue full or closed', {
      dropped,
      capacity: deps.actions.capacity,
    })
  }
}

export function runTickPass(deps: TickPassDeps, now: number): void {
  deps.state.lastTick = now
  try {
    expireFreeze(deps.state, now)
    const polled = pollProbes(deps.probes, deps.state, deps.config, deps.logger)
    for (const kind of polled.failed) deps.counters.probeFailures.record(kind)
    deps.counters.rejectedProbeSamples += polled.rejectedSamples
    recover(deps, now)
    deps.records.flushChains()
    queueActions(deps, now)
  } catch (error) {
    // A bug in one pass must not stop the ticks; it is logged loudly instead.
    deps.logger.error('reconcile pass failed', { error: String(error) })
  }
}
