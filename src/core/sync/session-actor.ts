/**
 * The sync session actor (seed 000): runs sync sessions, initiator and
 * responder, off the caller's path so a slow session never blocks the
 * replication runtime or the frame bridge.
 *
 * - Bounded mailbox (256), non-blocking `trySubmit`; overflow and submits to
 *   a stopped actor are refused and counted by reason.
 * - One event-driven loop takes jobs in order; it sleeps on the mailbox, and
 *   time reaches it only through the Clock (deadlines, the summary log).
 * - One in-flight initiator per channel; responders are not gated.
 * - At most `maxConcurrent` (30) sessions run; one deadline (30 s) covers
 *   waiting for a slot and running.
 * - Every accepted initiator yields exactly one result for the manager.
 * - `stop()` refuses new jobs, fails queued ones, lets running sessions drain
 *   for `drainMs`, then aborts them. The actor does not restart: the manager
 *   creates a new one per start.
 */
import { AbortedError, ClosedError, MeshlogError, TimeoutError } from '../errors.js'
import { type Logger, silentLogger } from '../logger.js'
import { Mailbox } from '../queue/mailbox.js'
import type { Clock } from '../time/clock.js'
import {
  DEFAULT_SESSION_DRAIN_MS,
  type SyncSessionActorOptions,
  type SyncSessionActorSnapshot,
  type SyncSessionActorState,
  sessionActorLimits,
} from './session-actor-options.js'
import { type DeadlineSettlement, runUnderDeadline } from './session-deadline.js'
import type {
  SessionJob,
  SessionOutcome,
  SessionRunner,
  SubmitReceipt,
  SyncSessionResult,
} from './session-job.js'
import { SyncSessionMetrics } from './session-metrics.js'
import { SessionSlots } from './session-slots.js'
import { ChannelBusyError, PeerSessionError, SessionFailedError } from './sync-errors.js'
import { type ShutdownReport, TaskGroup } from './task-group.js'

export {
  DEFAULT_MAX_CONCURRENT_SESSIONS,
  DEFAULT_SESSION_DEADLINE_MS,
  DEFAULT_SESSION_DRAIN_MS,
  SESSION_SUMMARY_INTERVAL_MS,
  SYNC_SESSION_MAILBOX_CAPACITY,
  type SyncSessionActorOptions,
  type SyncSessionActorSnapshot,
  type SyncSessionActorState,
} from './session-actor-options.js'

type Settlement =
  | { readonly status: 'ok'; readonly outcome: SessionOutcome }
  | { readonly status: 'error'; readonly error: MeshlogError }
  | { readonly status: 'timeout'; readonly error: TimeoutError }

interface Envelope<Inbound> {
  readonly id: number
  readonly job: SessionJob<Inbound>
}

function jobFields(id: number, job: SessionJob<unknown>): Record<string, unknown> {
  return job.kind === 'initiator'
    ? { jobId: id, kind: job.kind, channel: job.channel, peer: job.peer }
    : { jobId: id, kind: job.kind, peer: job.peer }
}

export class SyncSessionActor<Inbound = unknown> {
  readonly mailboxCapacity: number
  readonly maxConcurrent: number
  readonly sessionDeadlineMs: number
  readonly summaryIntervalMs: number
  readonly #runner: SessionRunner<Inbound>
  readonly #clock: Clock
  readonly #logger: Logger
  readonly #onResult: ((result: SyncSessionResult) => void) | undefined
  readonly #metrics: SyncSessionMetrics
  readonly #mailbox: Mailbox<Envelope<Inbound>>
  readonly #slots: SessionSlots
  readonly #sessions: TaskGroup
  readonly #busyChannels = new Set<string>()
  readonly #stopping = new AbortController()
  #state: SyncSessionActorState = 'idle'
  #nextJobId = 0
  #inFlight = 0
  #noneInFlight: (() => void)[] = []
  #loopDone: Promise<void> | undefined
  #stopDone: Promise<ShutdownReport> | undefined
  #cancelSummary: (() => void) | undefined

  constructor(options: SyncSessionActorOptions<Inbound>) {
    const limits = sessionActorLimits(options)
    this.mailboxCapacity = limits.mailboxCapacity
    this.maxConcurrent = limits.maxConcurrent
    this.sessionDeadlineMs = limits.sessionDeadlineMs
    this.summaryIntervalMs = limits.summaryIntervalMs
    this.#runner = options.runner
    this.#clock = options.clock
    this.#logger = options.logger ?? silentLogger
    this.#onResult = options.onResult
    this.#metrics = options.metrics ?? new SyncSessionMetrics()
    this.#mailbox = new Mailbox(this.mailboxCapacity)
    this.#slots = new SessionSlots(this.maxConcurrent, limits.maxWaitingForSlot)
    this.#sessions = new TaskGroup(options.clock, 'sync-sessions')
  }

  get state(): SyncSessionActorState {
    return this.#state
  }

  /** Starts the loop and the summary log. Idempotent; an actor cannot restart after `stop()`. */
  start(): void {
    if (this.#state === 'running') return
    if (this.#state !== 'idle') throw new ClosedError('the sync session actor was stopped')
    this.#state = 'running'
    this.#logger.info('sync session actor started', {
      mailboxCapacity: this.mailboxCapacity,
      maxConcurrent: this.maxConcurrent,
      sessionDeadlineMs: this.sessionDeadlineMs,
    })
    this.#scheduleSummary()
    this.#loopDone = this.#loop()
  }

  /**
   * Never waits. Jobs submitted before `start()` wait in the mailbox. A
   * refused job is counted (mailboxFull / actorClosed) and yields no result.
   */
  trySubmit(job: SessionJob<Inbound>): SubmitReceipt {
    if (this.#state === 'stopping' || this.#state === 'stopped') {
      this.#metrics.recordDrop('actorClosed')
      return { status: 'actor-closed' }
    }
    const id = ++this.#nextJobId
    const outcome = this.#mailbox.trySend({ id, job })
    if (outcome === 'queued') return { status: 'queued', jobId: id }
    this.#metrics.recordDrop(outcome === 'full' ? 'mailboxFull' : 'actorClosed')
    return { status: outcome === 'full' ? 'mailbox-full' : 'actor-closed' }
  }

  /**
   * Refuses new jobs, fails queued ones (counted as actorClosed, initiators
   * get a ClosedError result), cancels sessions still waiting for a slot, lets
   * running sessions finish for up to `drainMs`, then aborts them. Every
   * accepted initiator has delivered its result when this resolves, with
   * the sessions that had to be aborted.
   */
  stop(options: { readonly drainMs?: number } = {}): Promise<ShutdownReport> {
    this.#stopDone ??= this.#stop(options.drainMs ?? DEFAULT_SESSION_DRAIN_MS)
    return this.#stopDone
  }

  snapshot(): SyncSessionActorSnapshot {
    return {
      ...this.#metrics.snapshot(),
      state: this.#state,
      inFlight: this.#inFlight,
      inFlightChannels: this.#busyChannels.size,
      waitingForSlot: this.#slots.waiting,
      running: this.#slots.inUse,
      queued: this.#mailbox.size,
    }
  }

  async #stop(drainMs: number): Promise<ShutdownReport> {
    this.#state = 'stopping'
    this.#mailbox.close()
    this.#stopping.abort(new AbortedError('the sync session actor is stopping'))
    this.#cancelSummary?.()
    // An actor stopped before it started still fails its queued jobs.
    this.#loopDone ??= this.#loop()
    const report = await this.#sessions.shutdown(drainMs)
    if (!report.drained) {
      this.#logger.warn('sync session actor aborted sessions still running at its drain deadline', {
        drainMs,
        abortedSessions: report.abortedTasks.length,
      })
    }
    await this.#whenNoneInFlight()
    await this.#loopDone
    this.#logSummary()
    this.#state = 'stopped'
    this.#logger.info('sync session actor stopped')
    return report
  }

  async #loop(): Promise<void> {
    for (;;) {
      const envelope = await this.#mailbox.receive()
      if (envelope === undefined) return
      try {
        await this.#slots.roomToWait(this.#stopping.signal)
        if (this.#stopping.signal.aborted || this.#sessions.isClosed) this.#discard(envelope)
        else this.#dispatch(envelope)
      } catch (error) {
        this.#logger.warn('sync session actor failed to dispatch a job', {
          ...jobFields(envelope.id, envelope.job),
          error: String(error),
        })
      }
    }
  }

  #discard({ id, job }: Envelope<Inbound>): void {
    this.#metrics.recordDrop('actorClosed')
    if (job.kind !== 'initiator') return
    this.#deliver({
      jobId: id,
      channel: job.channel,
      peer: job.peer,
      tookMs: 0,
      status: 'error',
      error: new ClosedError('the sync session actor stopped before running this job', {
        details: jobFields(id, job),
      }),
    })
  }

  #dispatch({ id, job }: Envelope<Inbound>): void {
    if (job.kind === 'initiator') {
      // seed 000: one in-flight initiator per channel; a duplicate gets a
      // synthetic failure so the manager never stalls waiting for its result
      if (this.#busyChannels.has(job.channel)) {
        this.#metrics.recordDrop('channelBusy')
        this.#logger.debug('sync session initiator skipped: channel already has one in flight', {
          jobId: id,
          channel: job.channel,
        })
        this.#deliver({
          jobId: id,
          channel: job.channel,
          peer: job.peer,
          tookMs: 0,
          status: 'error',
          error: new ChannelBusyError('a sync session for this channel is already in flight', {
            details: jobFields(id, job),
          }),
        })
        return
      }
      this.#busyChannels.add(job.channel)
    }
    this.#inFlight++
    void this.#sessions.spawn(`session#${id}`, (abort) => this.#runSession(id, job, abort))
  }

  async #runSession(id: number, job: SessionJob<Inbound>, abort: AbortSignal): Promise<void> {
    const started = this.#clock.now()
    let settled: DeadlineSettlement<SessionOutcome>
    try {
      settled = await runUnderDeadline({
        clock: this.#clock,
        slots: this.#slots,
        deadlineMs: this.sessionDeadlineMs,
        timeoutError: () =>
          new TimeoutError(`sync session exceeded its ${this.sessionDeadlineMs} ms deadline`, {
            details: { ...jobFields(id, job), deadlineMs: this.sessionDeadlineMs },
          }),
        abort,
        // Stopping cancels sessions still waiting for a slot; running ones drain.
        cancelWaiting: this.#stopping.signal,
        work: (signal) => this.#runner.run(job, signal),
      })
    } finally {
      if (job.kind === 'initiator') this.#busyChannels.delete(job.channel)
      this.#inFlight--
      if (this.#inFlight === 0) this.#notifyNoneInFlight()
    }
    const settlement: Settlement =
      settled.status === 'ok'
        ? { status: 'ok', outcome: settled.value }
        : settled.status === 'timeout'
          ? settled
          : { status: 'error', error: this.#asMeshlogError(settled.error, id, job) }
    const tookMs = this.#clock.now() - started
    this.#metrics.recordOutcome(settlement.status)
    this.#logSettlement(id, job, settlement, tookMs)
    if (job.kind !== 'initiator') return
    // A runner that chose the peer itself names it in its error.
    const peer =
      settlement.status === 'ok'
        ? settlement.outcome.peer
        : (job.peer ??
          (settlement.error instanceof PeerSessionError ? settlement.error.peer : undefined))
    this.#deliver({ jobId: id, channel: job.channel, peer, tookMs, ...settlement })
  }

  #asMeshlogError(error: unknown, id: number, job: SessionJob<Inbound>): MeshlogError {
    if (error instanceof MeshlogError) return error
    return new SessionFailedError(
      `sync session failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: jobFields(id, job) },
    )
  }

  #deliver(result: SyncSessionResult): void {
    if (this.#onResult === undefined) return
    try {
      this.#onResult(result)
    } catch (error) {
      this.#logger.warn('sync session result handler threw', {
        jobId: result.jobId,
        channel: result.channel,
        error: String(error),
      })
    }
  }

  #logSettlement(
    id: number,
    job: SessionJob<Inbound>,
    settlement: Settlement,
    tookMs: number,
  ): void {
    const fields = { ...jobFields(id, job), tookMs }
    if (settlement.status === 'ok') {
      this.#logger.debug(`sync session ${job.kind} completed`, {
        ...fields,
        peer: settlement.outcome.peer,
      })
    } else if (settlement.status === 'error') {
      this.#logger.debug(`sync session ${job.kind} failed`, {
        ...fields,
        error: settlement.error.code,
      })
    } else {
      this.#logger.warn(`sync session ${job.kind} exceeded its deadline`, {
        ...fields,
        deadlineMs: this.sessionDeadlineMs,
      })
    }
  }

  #scheduleSummary(): void {
    this.#cancelSummary = this.#clock.setTimer(this.summaryIntervalMs, () => {
      this.#logSummary()
      this.#scheduleSummary()
    })
  }

  #logSummary(): void {
    const counters = this.#metrics.snapshot()
    this.#logger.info('sync session actor summary', {
      processedTotal: counters.processedTotal,
      errorTotal: counters.errorTotal,
      timeoutTotal: counters.timeoutTotal,
      droppedTotal: counters.dropped.total,
      channelBusyTotal: counters.dropped.channelBusy,
      inFlight: this.#inFlight,
      inFlightChannels: this.#busyChannels.size,
    })
  }

  #whenNoneInFlight(): Promise<void> {
    if (this.#inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.#noneInFlight.push(resolve))
  }

  #notifyNoneInFlight(): void {
    const waiters = this.#noneInFlight
    this.#noneInFlight = []
    for (const wake of waiters) wake()
  }
}
