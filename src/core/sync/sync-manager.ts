/**
 * The sync manager (seed 003): the lifecycle around a SyncService, the peer
 * list that survives restarts, health and metrics, and optional Merkle
 * verification of what peers send.
 *
 * - start()/stop() are idempotent and serialized: concurrent calls queue
 *   behind one another and find the work done.
 * - stop() drains owned tasks and sessions for `stopDrainMs` (2 s), then
 *   aborts them; a forced abort is logged, not fatal (seed 003).
 * - A runner that fails to start or stop leaves the manager `failed`; both
 *   start and stop are allowed from there.
 * - Peer commands go through the running service's mailbox; while stopped
 *   they apply to the peer set directly.
 */
import { InvalidArgumentError } from '../errors.js'
import { TypedEventTarget } from '../events/typed-event-target.js'
import type { Entry } from '../log/entry.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import { type Logger, silentLogger } from '../logger.js'
import { DropCounter } from '../queue/drop-counter.js'
import type { Clock } from '../time/clock.js'
import type { TreeHead } from './merkle-hash.js'
import type { RangeProof } from './merkle-proof.js'
import type { EntryVerification, MerkleVerifier } from './merkle-verifier.js'
import type { CommandDropReason } from './peer-commands.js'
import type { PeerSyncState } from './peer-sync-states.js'
import type { SessionRunner, SubmitReceipt, SyncSessionResult } from './session-job.js'
import { SyncSessionMetrics } from './session-metrics.js'
import { ShutdownFailedError, StartupFailedError, SyncNotStartedError } from './sync-errors.js'
import { type SyncManagerHealth, type SyncServiceHealth, syncManagerHealth } from './sync-health.js'
import { SyncManagerConfig } from './sync-manager-config.js'
import { checkTransition, type SyncManagerState } from './sync-manager-state.js'
import type { SyncRoundReport } from './sync-round.js'
import { type SessionActorSettings, SyncService, type SyncServiceMetrics } from './sync-service.js'
import type { TaskGroup } from './task-group.js'

/** seed 003: owned tasks get two seconds to drain before they are aborted. */
export const DEFAULT_STOP_DRAIN_MS = 2_000

export interface SyncManagerOptions<Inbound = unknown> {
  readonly clock: Clock
  /** Does the work of each session (the network protocol, or a fake in tests). */
  readonly runner: SessionRunner<Inbound>
  /** The channels a round syncs (e.g. `() => store.channels()`). */
  readonly channels: () => readonly ChannelId[]
  readonly config?: SyncManagerConfig
  readonly logger?: Logger
  /** Enables Merkle verification (seed 003: `with_indexed_journal`). */
  readonly merkleVerifier?: MerkleVerifier
  readonly sessions?: SessionActorSettings
  readonly stopDrainMs?: number
}

export interface SyncManagerEvents extends Record<string, unknown> {
  'state-changed': { readonly from: SyncManagerState; readonly to: SyncManagerState }
  'session-result': SyncSessionResult
}

export interface SyncManagerSnapshot {
  readonly status: SyncManagerState
  readonly peers: readonly PeerId[]
}

export class SyncManager<Inbound = unknown> extends TypedEventTarget<SyncManagerEvents> {
  readonly name = 'sync_service'
  readonly config: SyncManagerConfig
  readonly #clock: Clock
  readonly #runner: SessionRunner<Inbound>
  readonly #channels: () => readonly ChannelId[]
  readonly #logger: Logger
  readonly #merkleVerifier: MerkleVerifier | undefined
  readonly #sessions: SessionActorSettings
  readonly #stopDrainMs: number
  readonly #peers: Set<PeerId>
  readonly #sessionMetrics = new SyncSessionMetrics()
  readonly #commandDrops = new DropCounter<CommandDropReason>(['mailboxFull', 'actorClosed'])
  #state: SyncManagerState = 'stopped'
  #service: SyncService<Inbound> | undefined
  #lifecycle: Promise<unknown> = Promise.resolve()

  constructor(options: SyncManagerOptions<Inbound>) {
    super()
    this.config = SyncManagerConfig.validate(options.config ?? SyncManagerConfig.defaults())
    this.#clock = options.clock
    this.#runner = options.runner
    this.#channels = options.channels
    this.#logger = options.logger ?? silentLogger
    this.#merkleVerifier = options.merkleVerifier
    this.#sessions = options.sessions ?? {}
    this.#stopDrainMs = options.stopDrainMs ?? DEFAULT_STOP_DRAIN_MS
    if (!Number.isSafeInteger(this.#stopDrainMs) || this.#stopDrainMs < 0) {
      throw new InvalidArgumentError('stopDrainMs must be a non-negative integer', {
        details: { stopDrainMs: this.#stopDrainMs },
      })
    }
    this.#peers = new Set(this.config.initialPeers)
  }

  get state(): SyncManagerState {
    return this.#state
  }

  get isRunning(): boolean {
    return this.#state === 'running'
  }

  /** The running service's owned tasks; undefined while no service runs. */
  get ownedTasks(): TaskGroup | undefined {
    return this.#service?.tasks
  }

  start(): Promise<void> {
    return this.#serialized(async () => {
      if (this.#state === 'running') return
      this.#transition('starting')
      try {
        await this.#runner.start?.()
      } catch (error) {
        this.#transition('failed')
        throw new StartupFailedError('the sync service failed to start', {
          cause: error,
          details: { service: this.name },
        })
      }
      const service = new SyncService<Inbound>({
        config: this.config,
        clock: this.#clock,
        logger: this.#logger,
        runner: this.#runner,
        channels: this.#channels,
        peers: this.#peers,
        sessionMetrics: this.#sessionMetrics,
        commandDrops: this.#commandDrops,
        sessions: this.#sessions,
        onResult: (result) => this.emit('session-result', result),
      })
      service.start()
      this.#service = service
      this.#transition('running')
      this.#logger.info('sync service manager started', { service: this.name })
    })
  }

  stop(): Promise<void> {
    return this.#serialized(async () => {
      if (this.#state === 'stopped') return
      this.#transition('stopping')
      const service = this.#service
      this.#service = undefined
      const report = await service?.stop(this.#stopDrainMs)
      if (report !== undefined && !report.drained) {
        this.#logger.warn('sync service stop force-aborted owned background tasks', {
          service: this.name,
          abortedTasks: report.abortedTasks,
        })
      }
      try {
        await this.#runner.stop?.()
      } catch (error) {
        this.#transition('failed')
        throw new ShutdownFailedError('the sync service failed to stop', {
          cause: error,
          details: { service: this.name },
        })
      }
      this.#transition('stopped')
      this.#logger.info('sync service manager stopped', { service: this.name })
    })
  }

  /** State and peers, read through the command mailbox while running. */
  async snapshot(): Promise<SyncManagerSnapshot> {
    const service = this.#service
    if (service === undefined || service.commands.isClosed) {
      return { status: this.#state, peers: [...this.#peers] }
    }
    return { status: this.#state, peers: await service.commands.snapshot() }
  }

  async peers(): Promise<readonly PeerId[]> {
    return (await this.snapshot()).peers
  }

  /** Rejects with MailboxFullError when the command mailbox is full (counted). */
  async addPeer(peer: PeerId): Promise<void> {
    const service = this.#service
    if (service === undefined || service.commands.isClosed) this.#peers.add(peer)
    else await service.commands.addPeer(peer)
  }

  async removePeer(peer: PeerId): Promise<void> {
    const service = this.#service
    if (service === undefined || service.commands.isClosed) this.#peers.delete(peer)
    else await service.commands.removePeer(peer)
  }

  /** One round over `channels` (default: all) against `peers`; SyncNotStartedError unless running. */
  async syncWithPeers(
    peers: readonly PeerId[],
    options: { readonly channels?: readonly ChannelId[] } = {},
  ): Promise<SyncRoundReport> {
    return this.#runningService('syncWithPeers').syncWithPeers(peers, options.channels)
  }

  /** One initiator session for `channel` (the runner picks the peer when none is given). */
  async requestSync(channel: ChannelId, peer?: PeerId): Promise<SyncSessionResult> {
    return this.#runningService('requestSync').requestSync(channel, peer)
  }

  /** Hands a session a peer opened to the session actor; never waits. */
  acceptInbound(peer: PeerId, inbound: Inbound): SubmitReceipt {
    const service = this.#service
    if (service !== undefined && this.#state === 'running') {
      return service.acceptInbound(peer, inbound)
    }
    this.#sessionMetrics.recordDrop('actorClosed')
    return { status: 'actor-closed' }
  }

  /** The running service's own health; undefined when not running (seed 003). */
  syncServiceHealth(): SyncServiceHealth | undefined {
    return this.#state === 'running' ? this.#service?.health() : undefined
  }

  health(): SyncManagerHealth {
    return syncManagerHealth(this.#state, this.syncServiceHealth())
  }

  /** What the running service remembers per peer, least recently seen first. */
  peerSyncStates(): readonly PeerSyncState[] | undefined {
    return this.#state === 'running' ? this.#service?.peerStates.list() : undefined
  }

  /** True while `peer` is avoided after a failed verification (only while running). */
  isPeerAvoided(peer: PeerId): boolean {
    return this.#state === 'running' && this.#service?.isAvoided(peer) === true
  }

  metrics(): SyncServiceMetrics | undefined {
    return this.#state === 'running' ? this.#service?.metrics() : undefined
  }

  get hasMerkleVerification(): boolean {
    return this.#merkleVerifier !== undefined
  }

  get merkleVerifier(): MerkleVerifier | undefined {
    return this.#merkleVerifier
  }

  /** Our tree head for `channel`, to exchange with peers; undefined without verification. */
  async localMerkleRoot(channel: ChannelId): Promise<TreeHead | undefined> {
    return this.#merkleVerifier?.localHead(channel)
  }

  /** Checks entries a peer sent against its claimed head; undefined without verification. */
  async verifyEntries(
    channel: ChannelId,
    entries: readonly Entry[],
    claimed: TreeHead,
    proof?: RangeProof,
  ): Promise<EntryVerification | undefined> {
    return this.#merkleVerifier?.verifyIncomingEntries(channel, entries, claimed, proof)
  }

  #runningService(operation: string): SyncService<Inbound> {
    const service = this.#service
    if (service === undefined || this.#state !== 'running') {
      throw new SyncNotStartedError('the sync service is not running', {
        details: { operation, state: this.#state },
      })
    }
    return service
  }

  #transition(to: SyncManagerState): void {
    const from = this.#state
    checkTransition(from, to)
    this.#state = to
    this.emit('state-changed', { from, to })
  }

  #serialized<T>(step: () => Promise<T>): Promise<T> {
    const run = this.#lifecycle.then(step, step)
    this.#lifecycle = run.catch(() => {})
    return run
  }
}
