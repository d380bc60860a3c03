/**
 * One peer with sync sessions and epoch rotation beside replication: a
 * PeerNode whose sync and epoch frames go to a ProtocolSessionRunner
 * (driven by a SyncManager and its session actor) and an EpochRotation.
 * The worker and the simulator build this instead of a bare PeerNode when
 * they want verified anti-entropy and membership changes.
 *
 * Channels opened here start at epoch 0 with their replica set; a committed
 * epoch reopens the channel's runtime with the new set (PeerNode restarts a
 * runtime whose set changed), or closes it on a peer the new set drops.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { Logger } from '../logger.js'
import { ChannelMerkleIndex } from '../sync/channel-merkle-index.js'
import type { EpochCommitted } from '../sync/epoch/epoch-book.js'
import { EpochRotation } from '../sync/epoch/epoch-rotation.js'
import type { EpochRotationOptions, RotateOptions } from '../sync/epoch/epoch-rotation-options.js'
import { MerkleVerifier } from '../sync/merkle-verifier.js'
import type { SyncProtocolLimits } from '../sync/protocol/protocol-limits.js'
import { ProtocolSessionRunner } from '../sync/protocol/protocol-runner.js'
import type { SyncOpen } from '../sync/protocol/sync-messages.js'
import type { SyncSessionResult } from '../sync/session-job.js'
import { SyncManager } from '../sync/sync-manager.js'
import { SyncManagerConfig } from '../sync/sync-manager-config.js'
import type { SessionActorSettings } from '../sync/sync-service.js'
import { isEpochFrame, type SessionWireFrame } from '../wire/sync-frame-codec.js'
import { type ChannelOptions, PeerNode, type PeerNodeOptions } from './peer-node.js'

export interface SyncNodeOptions extends Omit<PeerNodeOptions, 'sessionFrames'> {
  readonly logger?: Logger
  /** Sync manager configuration (default: manual only; the worker turns periodic sync on). */
  readonly syncConfig?: SyncManagerConfig
  readonly sessions?: SessionActorSettings
  readonly protocolLimits?: Partial<SyncProtocolLimits>
  /** Who may read a channel from us (default: anyone who asks). */
  readonly mayServe?: (peer: PeerId, channel: ChannelId) => boolean
  readonly epochs?: Omit<
    EpochRotationOptions,
    'self' | 'clock' | 'rng' | 'sink' | 'logger' | 'onCommit'
  >
}

export class SyncNode {
  readonly self: PeerId
  readonly node: PeerNode
  readonly index: ChannelMerkleIndex
  readonly verifier: MerkleVerifier
  readonly runner: ProtocolSessionRunner
  readonly manager: SyncManager<SyncOpen>
  readonly epochs: EpochRotation
  readonly #options: SyncNodeOptions
  readonly #channelOptions = new Map<ChannelId, ChannelOptions>()

  constructor(options: SyncNodeOptions) {
    this.self = options.self
    this.#options = options
    this.node = new PeerNode({
      ...options,
      sessionFrames: (from, frame) => this.#route(from, frame),
    })
    this.index = new ChannelMerkleIndex({ store: options.store, hasher: options.hasher })
    this.verifier = new MerkleVerifier(this.index)
    this.runner = new ProtocolSessionRunner({
      self: options.self,
      store: options.store,
      index: this.index,
      verifier: this.verifier,
      clock: options.clock,
      rng: options.rng,
      sink: options.sink,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.protocolLimits === undefined ? {} : { limits: options.protocolLimits }),
      ...(options.mayServe === undefined ? {} : { mayServe: options.mayServe }),
      ...(options.signatures === undefined ? {} : { signatures: options.signatures }),
      candidates: (channel) => this.#candidates(channel),
      isAvoided: (peer) => this.manager.isPeerAvoided(peer),
    })
    // A session appends to the store directly; readers of the log must hear of it.
    this.runner.on('catch-up-progress', (e) => this.node.noteAppended(e.detail.channel))
    this.manager = new SyncManager<SyncOpen>({
      clock: options.clock,
      runner: this.runner,
      channels: () => this.node.channels,
      config: options.syncConfig ?? SyncManagerConfig.manualOnly(),
      merkleVerifier: this.verifier,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.sessions === undefined ? {} : { sessions: options.sessions }),
    })
    this.runner.bindAcceptor((peer, open) => this.manager.acceptInbound(peer, open))
    this.epochs = new EpochRotation({
      ...options.epochs,
      self: options.self,
      clock: options.clock,
      rng: options.rng,
      sink: options.sink,
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      onCommit: (commit) => this.#applyCommit(commit),
    })
  }

  /** Starts the sync manager (sessions are served and run only while it runs). Idempotent. */
  start(): Promise<void> {
    return this.manager.start()
  }

  /** Cancels rotations, stops the sync manager, then every runtime. Idempotent. */
  async stop(): Promise<void> {
    await this.epochs.stop()
    await this.manager.stop()
    await this.node.stop()
  }

  /**
   * Opens `channel` for replication; the first open records epoch 0 with
   * its replica set for rotations (a later epoch learned by a commit wins).
   */
  async open(channel: ChannelId, options: ChannelOptions): Promise<void> {
    this.#channelOptions.set(channel, options)
    if (this.epochs.current(channel) === undefined) {
      this.epochs.setCurrent(channel, { epoch: 0, replicaSet: options.replicaSet })
    }
    await this.node.open(channel, options)
  }

  /**
   * Changes an open channel's replica set in place (see
   * PeerNode.setReplicaSet), and remembers it: a later reopen (the control
   * loop's, a restart's) uses this set, not the one first opened with.
   */
  setReplicaSet(channel: ChannelId, replicaSet: readonly PeerId[]): void {
    this.node.setReplicaSet(channel, replicaSet)
    const options = this.#channelOptions.get(channel)
    if (options !== undefined) this.#channelOptions.set(channel, { ...options, replicaSet })
  }

  /** The options `channel` was last opened with (or its set changed to). */
  channelOptions(channel: ChannelId): ChannelOptions | undefined {
    return this.#channelOptions.get(channel)
  }

  /** A frame from the transport (see PeerNode.receive). */
  receive(from: PeerId, bytes: Uint8Array): boolean {
    return this.node.receive(from, bytes)
  }

  /** One verified sync session for `channel`, with `peer` or the first replica not avoided. */
  requestSync(channel: ChannelId, peer?: PeerId): Promise<SyncSessionResult> {
    return this.manager.requestSync(channel, peer)
  }

  /** Coordinates a rotation of `channel` to `replicaSet` (see EpochRotation.rotate). */
  rotate(
    channel: ChannelId,
    replicaSet: readonly PeerId[],
    options?: RotateOptions,
  ): Promise<EpochCommitted> {
    return this.epochs.rotate(channel, replicaSet, options)
  }

  #route(from: PeerId, frame: SessionWireFrame): boolean {
    return isEpochFrame(frame) ? this.epochs.receive(from, frame) : this.runner.receive(from, frame)
  }

  /** The channel's other replicas, nearest first when RTTs are known. */
  #candidates(channel: ChannelId): PeerId[] {
    const set = this.epochs.current(channel)?.replicaSet ?? []
    const rtt = this.#options.rttLookup
    const others = set.filter((peer) => peer !== this.self)
    if (rtt === undefined) return others
    const distance = (peer: PeerId) => rtt(peer) ?? Number.POSITIVE_INFINITY
    return others.sort((a, b) => distance(a) - distance(b))
  }

  async #applyCommit(commit: EpochCommitted): Promise<void> {
    const { channel, replicaSet } = commit
    const previous = this.#channelOptions.get(channel)
    if (!replicaSet.includes(this.self)) {
      await this.node.close(channel)
      return
    }
    const options: ChannelOptions = { ...previous, replicaSet }
    this.#channelOptions.set(channel, options)
    await this.node.open(channel, options)
  }
}
