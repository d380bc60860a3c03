/**
 * The mesh control loop (seed 002): the worker's supervisor, one per peer.
 * A thin driver around pure parts: it folds events into state, and once per
 * tick polls probes, runs recovery, reconciles, queues the actions and swaps
 * in a new snapshot.
 *
 * Scheduling, all through the injected Clock so a ManualClock steps it:
 * - the tick is served first whenever it is due; after it, at most
 *   EVENTS_PER_TICK queued events are applied before the loop yields;
 * - between ticks the loop applies events in batches of the same size and
 *   yields to the host (a 0 ms timer) between batches, so neither a burst of
 *   events nor a slow reconcile starves the other;
 * - the next tick is armed one interval after the tick was served: a late
 *   tick delays the cadence instead of bursting to catch up.
 * It exits on a `shutdown` event, on `stop()`, or when every handle is
 * closed and the backlog is drained.
 */

import { TypedEventTarget } from '../events/typed-event-target.js'
import { type Logger, silentLogger } from '../logger.js'
import type { Cancel, Clock } from '../time/clock.js'
import { ActionQueue } from './action-queue.js'
import { AdminGate } from './admin-gate.js'
import type { PendingAction } from './control-actions.js'
import { type ControlConfig, EVENTS_PER_TICK, resolveControlConfig } from './control-config.js'
import { LoopClosedError } from './control-errors.js'
import type { ControlEvent } from './control-events.js'
import { ControlHandle } from './control-handle.js'
import type {
  ControlLoopEvents,
  ControlLoopExit,
  ControlLoopExitReason,
  ControlLoopOptions,
  SnapshotReader,
} from './control-loop-options.js'
import { ControlRecords } from './control-records.js'
import { buildSnapshot, type ControlSnapshot } from './control-snapshot.js'
import { type ControlState, createControlState } from './control-state.js'
import { EventInbox } from './event-inbox.js'
import { foldEvent } from './fold-event.js'
import { LoopCounters } from './loop-counters.js'
import { ProbeRegistry } from './probes.js'
import { RecentRing } from './recent-ring.js'
import { RecoveryRegistry } from './recovery-registry.js'
import { SnapshotPublisher } from './snapshot-publisher.js'
import { runTickPass, type TickPassDeps } from './tick-pass.js'

function hex64(value: bigint): string {
  return value.toString(16).padStart(16, '0')
}

export class ControlLoop extends TypedEventTarget<ControlLoopEvents> {
  readonly config: ControlConfig
  /** Random per loop: consumers deduping on seq reset when it changes. */
  readonly runtimeEpochId: string
  readonly probes: ProbeRegistry
  readonly recovery: RecoveryRegistry
  /** The executor drains this. */
  readonly actions: ActionQueue
  /** Settles once the loop has exited; never rejects. */
  readonly exited: Promise<ControlLoopExit>

  readonly #clock: Clock
  readonly #logger: Logger
  readonly #state: ControlState
  readonly #inbox: EventInbox
  readonly #gate: AdminGate
  readonly #records: ControlRecords
  readonly #recent: RecentRing<PendingAction>
  readonly #counters = new LoopCounters()
  readonly #snapshots: SnapshotPublisher
  readonly #tickDeps: TickPassDeps
  #resolveExit: (exit: ControlLoopExit) => void = () => {}
  #phase: 'idle' | 'running' | 'exiting' | 'exited' = 'idle'
  #exitReason: ControlLoopExitReason = 'stopped'
  #finishing = false
  #handles = 0
  #busy = false
  #tickDue = false
  #cancelTick: Cancel | undefined
  #cancelStep: Cancel | undefined
  #cancelStopDeadline: Cancel | undefined
  #reconcileCount = 0
  #nextActionId = 1
  #lastTickWallMs: number | undefined

  constructor(options: ControlLoopOptions) {
    super()
    this.config = resolveControlConfig(options.config)
    this.#clock = options.clock
    this.#logger = options.logger ?? silentLogger
    let epoch = options.rng.nextU64()
    while (epoch === 0n) epoch = options.rng.nextU64()
    this.runtimeEpochId = hex64(epoch)
    this.probes = options.probes ?? new ProbeRegistry()
    this.recovery = options.recovery ?? new RecoveryRegistry()
    this.actions = new ActionQueue(this.config.actionQueueCapacity)
    this.exited = new Promise((resolve) => {
      this.#resolveExit = resolve
    })
    this.#state = createControlState(options.thisPeer)
    this.#inbox = new EventInbox({
      capacity: this.config.eventQueueCapacity,
      maxWaiters: this.config.maxPublishWaiters,
      clock: this.#clock,
      onEvent: () => this.#scheduleStep(),
    })
    this.#records = new ControlRecords({
      thisPeer: options.thisPeer,
      config: this.config,
      clock: this.#clock,
      logger: this.#logger,
      hasher: options.hasher,
      auditSink: options.auditSink,
      auditGenesis: options.auditGenesis,
      logSink: options.logSink,
    })
    this.#recent = new RecentRing(this.config.actionQueueCapacity)
    this.#gate = new AdminGate({
      state: this.#state,
      config: this.config,
      clock: this.#clock,
      logger: this.#logger,
      audit: this.#records.audit,
      failures: this.#records.failures,
      verifier: options.adminVerifier,
      syncAborter: options.syncAborter,
      accepting: () => this.#phase === 'running',
    })
    this.#tickDeps = {
      state: this.#state,
      config: this.config,
      logger: this.#logger,
      probes: this.probes,
      recovery: this.recovery,
      actions: this.actions,
      recentlyEmitted: this.#recent,
      counters: this.#counters,
      records: this.#records,
      nextActionId: () => this.#nextActionId++,
    }
    this.#snapshots = new SnapshotPublisher(
      this.#clock,
      this.config.snapshotEventMinIntervalMs,
      this.#buildSnapshot(),
      (snapshot) => this.emit('snapshot', snapshot),
    )
  }

  get reconcileCount(): number {
    return this.#reconcileCount
  }

  get running(): boolean {
    return this.#phase === 'running'
  }

  /** The latest snapshot; the same object until the next reconcile replaces it. */
  snapshot(): ControlSnapshot {
    return this.#snapshots.current
  }

  reader(): SnapshotReader {
    return { read: () => this.#snapshots.current }
  }

  /** A new publisher handle. Throws LoopClosedError once the loop is exiting. */
  acquireHandle(): ControlHandle {
    if (this.#phase === 'exiting' || this.#phase === 'exited') {
      throw new LoopClosedError('the control loop has exited')
    }
    this.#handles++
    return new ControlHandle(this.#inbox, () => {
      this.#handles--
      if (this.#handles === 0) this.#scheduleStep()
    })
  }

  /** Arms the first tick one interval from now. Idempotent. */
  start(): void {
    if (this.#phase !== 'idle') return
    this.#phase = 'running'
    this.#logger.debug('control loop starting', {
      thisPeer: this.#state.thisPeer,
      tickIntervalMs: this.config.tickIntervalMs,
      runtimeEpochId: this.runtimeEpochId,
    })
    this.#armTick()
    this.#scheduleStep()
  }

  /**
   * Exits: refuses further events, drops the backlog (counted), waits up to
   * `stopDeadlineMs` for a step in progress and for chain appends in flight,
   * and ends the action queue. Idempotent; resolves with the exit record.
   */
  stop(): Promise<ControlLoopExit> {
    if (this.#phase === 'idle' || this.#phase === 'running') {
      this.#beginExit('stopped')
      if (this.#busy) {
        // Do not wait on a step past the deadline (e.g. a verifier that is slow to time out).
        this.#cancelStopDeadline = this.#clock.setTimer(this.config.stopDeadlineMs, () => {
          void this.#finishExit()
        })
      }
    }
    return this.exited
  }

  #armTick(): void {
    this.#cancelTick = this.#clock.setTimer(this.config.tickIntervalMs, () => {
      this.#cancelTick = undefined
      this.#tickDue = true
      this.#runStep()
    })
  }

  /**
   * A closing tab has little time left: pull the next tick in so the
   * hand-offs go out now. Still one reconcile per tick; the cadence resumes
   * one interval after it.
   */
  #expediteTick(): void {
    this.#cancelTick?.()
    this.#cancelTick = undefined
    this.#tickDue = true
  }

  #scheduleStep(): void {
    if (this.#phase !== 'running' || this.#busy || this.#cancelStep !== undefined) return
    this.#cancelStep = this.#clock.setTimer(0, () => {
      this.#cancelStep = undefined
      this.#runStep()
    })
  }

  #runStep(): void {
    if (this.#phase !== 'running' || this.#busy) return
    this.#cancelStep?.()
    this.#cancelStep = undefined
    this.#busy = true
    const pending = this.#step()
    if (pending === undefined) {
      this.#afterStep()
      return
    }
    void pending.then(
      () => this.#afterStep(),
      (error: unknown) => {
        this.#logger.error('control step failed', { error: String(error) })
        this.#afterStep()
      },
    )
  }

  #afterStep(): void {
    this.#busy = false
    if (this.#phase === 'exiting') {
      void this.#finishExit()
      return
    }
    if (this.#phase !== 'running') return
    if (this.#handles === 0 && this.#inbox.size === 0) {
      this.#beginExit('handles-released')
      return
    }
    if (this.#tickDue || this.#inbox.size > 0) this.#scheduleStep()
  }

  /** One bounded unit of work: the tick if due, then up to EVENTS_PER_TICK events. */
  #step(): Promise<void> | undefined {
    if (this.#tickDue) {
      this.#tickDue = false
      this.#serveTick()
      if (this.#phase === 'running') this.#armTick()
    }
    return this.#drain(EVENTS_PER_TICK)
  }

  #drain(budget: number): Promise<void> | undefined {
    for (let left = budget; left > 0 && this.#phase === 'running' && !this.#tickDue; left--) {
      const event = this.#inbox.shift()
      if (event === undefined) return undefined
      if (event.type === 'shutdown') {
        this.#beginExit('shutdown-event')
        return undefined
      }
      const pending = this.#apply(event)
      // After an awaited apply, a tick that fell due meanwhile goes first.
      if (pending !== undefined) {
        return pending.then(() => (this.#tickDue ? undefined : this.#drain(left - 1)))
      }
    }
    return undefined
  }

  /** Applies one event; a bug in a fold costs that event, never the loop. */
  #apply(event: ControlEvent): Promise<void> | undefined {
    const failed = (error: unknown) => {
      this.#counters.droppedEvents.record('apply_failed')
      this.#logger.error('control event could not be applied', {
        type: event.type,
        error: String(error),
      })
    }
    try {
      switch (event.type) {
        case 'admin-command':
          this.#gate.submitLocal(event.command)
          return undefined
        case 'signed-admin-commit':
          return this.#gate.submitSigned(event.commit)?.catch(failed)
        case 'log-line':
          this.#records.recordLogLine(event)
          return undefined
        case 'action-failed':
          this.#records.recordActionFailure(event)
          return undefined
        case 'shutdown':
          return undefined
        default: {
          const rejection = foldEvent(this.#state, event, this.config, this.#now())
          if (rejection !== undefined) this.#counters.droppedEvents.record(rejection)
          else if (event.type === 'drain-requested' && event.reason === 'tab-closing')
            this.#expediteTick()
          return undefined
        }
      }
    } catch (error) {
      failed(error)
      return undefined
    }
  }

  /** Anchor for folds: the last tick, so a replay of the same events folds identically. */
  #now(): number {
    return this.#state.lastTick ?? this.#clock.now()
  }

  #serveTick(): void {
    const now = this.#clock.now()
    this.#lastTickWallMs = this.#clock.wallNow()
    runTickPass(this.#tickDeps, now)
    this.#reconcileCount++
    this.#snapshots.publish(this.#buildSnapshot())
  }

  #buildSnapshot(): ControlSnapshot {
    const counters = this.#counters
    return buildSnapshot({
      state: this.#state,
      runtimeEpochId: this.runtimeEpochId,
      reconcileCount: this.#reconcileCount,
      lastTickWallMs: this.#lastTickWallMs,
      recentlyEmitted: this.#recent.toArray(),
      recentFailures: this.#records.failures.entries(),
      adminAudit: this.#records.audit.entries(),
      logRing: this.#records.logs.entries(),
      counters: {
        droppedActions: this.actions.drops.snapshot(),
        droppedEvents: counters.droppedEvents.snapshot(),
        probeFailures: counters.probeFailures.snapshot(),
        rejectedProbeSamples: counters.rejectedProbeSamples,
        recoveryFailures: counters.recoveryFailures,
        admin: { ...this.#gate.counts },
        auditChain: this.#records.audit.chain.counters(),
        logChain: this.#records.logs.chain.counters(),
        probes: this.probes.counts(),
      },
    })
  }

  #beginExit(reason: ControlLoopExitReason): void {
    if (this.#phase !== 'idle' && this.#phase !== 'running') return
    this.#phase = 'exiting'
    this.#exitReason = reason
    this.#cancelTick?.()
    this.#cancelStep?.()
    this.#cancelTick = undefined
    this.#cancelStep = undefined
    const discarded = this.#inbox.close()
    if (discarded > 0) this.#counters.droppedEvents.record('discarded_at_exit', discarded)
    this.#logger.debug('control loop exiting', { reason, reconcileCount: this.#reconcileCount })
    if (!this.#busy) void this.#finishExit()
  }

  async #finishExit(): Promise<void> {
    if (this.#phase !== 'exiting' || this.#finishing) return
    this.#finishing = true
    await this.#records.settled(this.config.stopDeadlineMs)
    this.#cancelStopDeadline?.()
    this.#snapshots.cancel()
    // A last picture, so status() after exit shows the final counters (reconcileCount unchanged).
    this.#snapshots.replace(this.#buildSnapshot())
    this.actions.end()
    this.#phase = 'exited'
    const exit: ControlLoopExit = { reason: this.#exitReason, reconcileCount: this.#reconcileCount }
    this.#resolveExit(exit)
    this.emit('exit', exit)
  }
}
