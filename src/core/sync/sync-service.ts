/**
 * The running half of the sync manager (seed 003's SyncService): created on
 * each start, it owns the session actor, the command loop, the periodic
 * sync and maintenance timers, the peer states and the tasks it spawns, and
 * gives them all back on stop: timers cancelled, commands drained, sessions
 * and rounds drained for `drainMs` and then aborted.
 */
import { ClosedError } from '../errors.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import type { Logger } from '../logger.js'
import type { DropCounter } from '../queue/drop-counter.js'
import type { Clock } from '../time/clock.js'
import { type CommandDropReason, PeerCommandLoop } from './peer-commands.js'
import { PeerSyncStates, type PruneCounts } from './peer-sync-states.js'
import { LOCAL_FAILURE_CODES, PEER_MISBEHAVIOUR_CODES } from './protocol/protocol-errors.js'
import {
  SyncSessionActor,
  type SyncSessionActorOptions,
  type SyncSessionActorSnapshot,
} from './session-actor.js'
import type { SessionRunner, SubmitReceipt, SyncSessionResult } from './session-job.js'
import type { SyncSessionMetrics } from './session-metrics.js'
import { SessionResultWaiters } from './session-result-waiters.js'
import { MailboxFullError } from './sync-errors.js'
import { type SyncServiceHealth, syncServiceStatus } from './sync-health.js'
import type { SyncManagerConfig } from './sync-manager-config.js'
import { runSyncRound, type SyncRoundReport } from './sync-round.js'
import { type ShutdownReport, TaskGroup } from './task-group.js'

/** Session-actor settings the manager passes through. */
export type SessionActorSettings = Pick<
  SyncSessionActorOptions,
  | 'mailboxCapacity'
  | 'maxConcurrent'
  | 'maxWaitingForSlot'
  | 'sessionDeadlineMs'
  | 'summaryIntervalMs'
>

export interface SyncServiceOptions<Inbound> {
  readonly config: SyncManagerConfig
  readonly clock: Clock
  readonly logger: Logger
  readonly runner: SessionRunner<Inbound>
  readonly channels: () => readonly ChannelId[]
  /** The manager's peer set, shared so it survives restarts. */
  readonly peers: Set<PeerId>
  readonly sessionMetrics: SyncSessionMetrics
  readonly commandDrops: DropCounter<CommandDropReason>
  readonly sessions: SessionActorSettings
  /** Every initiator result, after the service has accounted for it. */
  readonly onResult: (result: SyncSessionResult) => void
}

export interface SyncServiceMetrics {
  readonly uptimeMs: number
  readonly sessionsSucceeded: number
  readonly sessionsFailed: number
  readonly sessionsTimedOut: number
  /** Mean duration of successful sessions. */
  readonly avgLatencyMs: number
  readonly lastSyncAt: number | undefined
  readonly lastOperationAt: number | undefined
  readonly roundsStarted: number
  /** Automatic rounds skipped because the previous one was still running. */
  readonly roundsSkipped: number
  readonly maintenanceRuns: number
  readonly peerStates: {
    readonly tracked: number
    readonly pruned: Readonly<Record<'ttl' | 'cap', number>> & { readonly total: number }
  }
  readonly commandDrops: Readonly<Record<CommandDropReason, number>> & { readonly total: number }
  readonly sessions: SyncSessionActorSnapshot
}

/** Local reasons a session did not run: they say nothing about the peer. */
const NOT_THE_PEERS_FAULT = new Set([
  'ERR_CHANNEL_BUSY',
  'ERR_CLOSED',
  'ERR_ABORTED',
  ...LOCAL_FAILURE_CODES,
])

export class SyncService<Inbound = unknown> {
  readonly tasks: TaskGroup
  readonly commands: PeerCommandLoop
  readonly peerStates: PeerSyncStates
  readonly startedAt: number
  readonly #options: SyncServiceOptions<Inbound>
  readonly #actor: SyncSessionActor<Inbound>
  readonly #waiters = new SessionResultWaiters()
  #stopping = false
  #cancelAutoSync: (() => void) | undefined
  #cancelMaintenance: (() => void) | undefined
  #autoRoundRunning = false
  #succeeded = 0
  #failed = 0
  #timedOut = 0
  #okLatencyTotal = 0
  #lastSyncAt: number | undefined
  #lastOperationAt: number | undefined
  #roundsStarted = 0
  #roundsSkipped = 0
  #maintenanceRuns = 0

  constructor(options: SyncServiceOptions<Inbound>) {
    this.#options = options
    this.startedAt = options.clock.now()
    this.tasks = new TaskGroup(options.clock, 'sync_service')
    this.commands = new PeerCommandLoop(options.peers, options.commandDrops)
    this.peerStates = new PeerSyncStates(options.config.maxPeerStates)
    this.#actor = new SyncSessionActor<Inbound>({
      ...options.sessions,
      runner: options.runner,
      clock: options.clock,
      logger: options.logger,
      metrics: options.sessionMetrics,
      onResult: (result) => this.#onResult(result),
    })
  }

  start(): void {
    this.#actor.start()
    void this.tasks.spawn('command-actor', () => this.commands.run())
    const { config } = this.#options
    if (config.autoSyncEnabled) this.#scheduleAutoSync()
    if (config.maintenanceEnabled) this.#scheduleMaintenance()
    else this.#options.logger.debug('sync maintenance disabled by configuration')
  }

  /** Drains within `drainMs`, then aborts; reports what had to be aborted. */
  async stop(drainMs: number): Promise<ShutdownReport> {
    this.#stopping = true
    this.#cancelAutoSync?.()
    this.#cancelMaintenance?.()
    this.commands.close()
    const reports = await Promise.all([this.#actor.stop({ drainMs }), this.tasks.shutdown(drainMs)])
    return {
      drained: reports.every((r) => r.drained),
      abortedTasks: reports.flatMap((r) => r.abortedTasks),
    }
  }

  syncWithPeers(
    peers: readonly PeerId[],
    channels: readonly ChannelId[] = this.#options.channels(),
  ): Promise<SyncRoundReport> {
    this.#roundsStarted++
    return this.tasks.spawn('sync.with-peers', (signal) =>
      runSyncRound(this.#roundDeps(), channels, peers, signal),
    )
  }

  /** One initiator session; settles with its result. */
  requestSync(channel: ChannelId, peer?: PeerId): Promise<SyncSessionResult> {
    return this.tasks.spawn('sync.request', async (signal) => {
      const receipt = this.#actor.trySubmit(
        peer === undefined ? { kind: 'initiator', channel } : { kind: 'initiator', channel, peer },
      )
      if (receipt.status !== 'queued') {
        const details = { channel, peer }
        throw receipt.status === 'mailbox-full'
          ? new MailboxFullError('the sync session mailbox is full', { details })
          : new ClosedError('the sync session actor is stopping', { details })
      }
      return this.#waiters.wait(receipt.jobId, signal)
    })
  }

  acceptInbound(peer: PeerId, inbound: Inbound): SubmitReceipt {
    return this.#actor.trySubmit({ kind: 'responder', peer, inbound })
  }

  /** seed 003 maintenance: prune peer states by TTL, then by cap. */
  runMaintenance(): PruneCounts {
    const { config, clock, logger } = this.#options
    const pruned = this.peerStates.prune(clock.now(), config.peerStateTtlMs, config.maxPeerStates)
    this.#maintenanceRuns++
    logger.debug('sync maintenance pruned peer states', {
      ...pruned,
      tracked: this.peerStates.size,
    })
    return pruned
  }

  isAvoided(peer: PeerId): boolean {
    return this.peerStates.isAvoided(peer, this.#options.clock.now())
  }

  health(): SyncServiceHealth {
    const sessions = this.#actor.snapshot()
    return {
      status: syncServiceStatus(sessions.state, sessions.waitingForSlot),
      activeSessions: sessions.running,
      waitingSessions: sessions.waitingForSlot,
      trackedPeers: this.peerStates.size,
      availablePeers: this.#options.peers.size,
      lastSyncAt: this.#lastSyncAt,
      uptimeMs: this.#options.clock.now() - this.startedAt,
    }
  }

  metrics(): SyncServiceMetrics {
    return {
      uptimeMs: this.#options.clock.now() - this.startedAt,
      sessionsSucceeded: this.#succeeded,
      sessionsFailed: this.#failed,
      sessionsTimedOut: this.#timedOut,
      avgLatencyMs: this.#succeeded === 0 ? 0 : this.#okLatencyTotal / this.#succeeded,
      lastSyncAt: this.#lastSyncAt,
      lastOperationAt: this.#lastOperationAt,
      roundsStarted: this.#roundsStarted,
      roundsSkipped: this.#roundsSkipped,
      maintenanceRuns: this.#maintenanceRuns,
      peerStates: { tracked: this.peerStates.size, pruned: this.peerStates.pruned() },
      commandDrops: this.#options.commandDrops.snapshot(),
      sessions: this.#actor.snapshot(),
    }
  }

  #roundDeps() {
    return {
      submit: (job: Parameters<SyncSessionActor<Inbound>['trySubmit']>[0]) =>
        this.#actor.trySubmit(job),
      waiters: this.#waiters,
      maxConcurrent: this.#options.config.maxConcurrentSyncs,
      shouldContinue: () => !this.#stopping,
      isAvoided: (peer: PeerId) => this.isAvoided(peer),
    }
  }

  #onResult(result: SyncSessionResult): void {
    const now = this.#options.clock.now()
    this.#lastOperationAt = now
    if (result.status === 'ok') {
      this.#succeeded++
      this.#okLatencyTotal += result.tookMs
      this.#lastSyncAt = now
    } else if (result.status === 'timeout') {
      this.#timedOut++
    } else {
      this.#failed++
    }
    const blamesPeer = result.status !== 'error' || !NOT_THE_PEERS_FAULT.has(result.error.code)
    if (result.peer !== undefined && blamesPeer) {
      const code = result.status === 'ok' ? undefined : result.error.code
      if (code !== undefined && PEER_MISBEHAVIOUR_CODES.has(code)) {
        const until = now + this.#options.config.misbehaviourCooldownMs
        this.peerStates.avoid(result.peer, now, until, code)
        this.#options.logger.warn('sync peer avoided after it failed verification', {
          peer: result.peer,
          channel: result.channel,
          code,
          until,
        })
      } else {
        this.peerStates.record(result.peer, result.status, now, code)
      }
    }
    this.#waiters.deliver(result)
    this.#options.onResult(result)
  }

  #scheduleAutoSync(): void {
    const { clock, config, logger } = this.#options
    this.#cancelAutoSync = clock.setTimer(config.autoSyncIntervalMs, () => {
      this.#scheduleAutoSync()
      if (this.#autoRoundRunning) {
        this.#roundsSkipped++
        logger.debug('automatic sync round skipped: the previous round is still running')
        return
      }
      const peers = this.peerStates.leastRecentlySeen(
        [...this.#options.peers],
        config.maxConcurrentSyncs,
        clock.now(),
      )
      if (peers.length === 0) return
      this.#autoRoundRunning = true
      this.#roundsStarted++
      void this.tasks
        .spawn('sync.auto-round', (signal) =>
          runSyncRound(this.#roundDeps(), this.#options.channels(), peers, signal),
        )
        .then(
          (report) => logger.debug('automatic sync round finished', roundFields(report)),
          (error: unknown) =>
            logger.debug('automatic sync round ended early', { error: String(error) }),
        )
        .finally(() => {
          this.#autoRoundRunning = false
        })
    })
  }

  #scheduleMaintenance(): void {
    const { clock, config } = this.#options
    this.#cancelMaintenance = clock.setTimer(config.maintenanceIntervalMs, () => {
      this.#scheduleMaintenance()
      this.runMaintenance()
    })
  }
}

function roundFields(report: SyncRoundReport): Record<string, unknown> {
  const { results: _results, ...counts } = report
  return counts
}
