/**
 * One peer: its log store, one replication runtime per open channel, and the
 * frames between them and the network. The worker runs one PeerNode over
 * IndexedDB and the frame port; the simulator runs one per simulated peer
 * over MemoryLogStore and SimNetwork — the same composition in both.
 *
 * Inbound frames are decoded here (a malformed frame is counted by failure
 * and changes nothing) and routed to their channel's runtime without
 * waiting. Outbound frames are encoded and handed to the FrameSink.
 */
import type { EntrySignaturePolicy, EntrySigner } from '../crypto/entry-signing.js'
import { ClosedError, InvalidArgumentError } from '../errors.js'
import { TypedEventTarget } from '../events/typed-event-target.js'
import type { Entry } from '../log/entry.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import type { LogStore, ReadOptions, WriteKey } from '../log/log-store.js'
import { DropCounter } from '../queue/drop-counter.js'
import type { Rng } from '../random/rng.js'
import { ReplicationCoordinator } from '../replication/coordinator.js'
import type { DiskPressurePolicy } from '../replication/disk-pressure.js'
import type { RttLookup } from '../replication/election.js'
import type { Inbound } from '../replication/inbound.js'
import { ReplicationInboundRouter } from '../replication/inbound-router.js'
import type { AppendOutcome } from '../replication/local-append.js'
import type { BandwidthClass, ReplicaRole } from '../replication/messages.js'
import { PARK_HOLD_MS_DEFAULT } from '../replication/parked-requests.js'
import { ReplicationRuntime } from '../replication/replication-runtime.js'
import type { CommittedWrite } from '../replication/runtime-events.js'
import type { ReplicationRuntimeSnapshot } from '../replication/runtime-snapshot.js'
import { sameMembers } from '../sync/epoch/replica-sets.js'
import type { Clock } from '../time/clock.js'
import { DECODE_FAILURES, DecodeError } from '../wire/decode-error.js'
import { decodeFrame, type WireFrame } from '../wire/frame-codec.js'
import { isSessionFrame, type SessionWireFrame } from '../wire/sync-frame-codec.js'
import { frameDispatcher } from './frame-dispatcher.js'
import type { FrameSink } from './frame-sink.js'

export const HEARTBEAT_MS_DEFAULT = 500

export interface ChannelOptions {
  /** Every peer replicating the channel, this one included. */
  readonly replicaSet: readonly PeerId[]
  readonly heartbeatMs?: number
  readonly diskPressurePolicy?: DiskPressurePolicy
  readonly chunkMax?: number
  readonly bandwidthClass?: BandwidthClass
  /** The link rate a leader's catch-up budget assumes (half of it is served); default 10 MB/s. */
  readonly peakBytesPerSecond?: number
}

export interface PeerNodeOptions {
  readonly self: PeerId
  readonly store: LogStore
  readonly hasher: EntryHasher
  readonly clock: Clock
  readonly rng: Rng
  readonly sink: FrameSink
  readonly heartbeatMs?: number
  readonly rttLookup?: RttLookup
  /**
   * Takes decoded sync-session and epoch-rotation frames (see SyncNode);
   * without it they are dropped and counted as `no-runtime`.
   */
  readonly sessionFrames?: (from: PeerId, frame: SessionWireFrame) => boolean
  /** Signs this peer's writes (signed entries). */
  readonly signer?: EntrySigner
  /** Checks authors' signatures on every entry taken from others. */
  readonly signatures?: EntrySignaturePolicy
}

export interface ChannelStatus {
  readonly channel: ChannelId
  readonly role: ReplicaRole
  readonly leader: PeerId | undefined
  readonly replicaSet: readonly PeerId[]
  readonly firstSeq: Seq
  readonly nextSeq: Seq
  readonly payloadBytes: number
  /** Writes in the outbox: taken here, not yet seen committed. */
  readonly outboxSize: number
  readonly metrics: ReplicationRuntimeSnapshot
}

/** Where one write stands, as this peer sees it. */
export type WriteState = 'committed' | 'pending' | 'unknown'

export interface PeerNodeStatus {
  readonly self: PeerId
  readonly channels: readonly ChannelStatus[]
  readonly routeDrops: Readonly<Record<string, number>>
  readonly decodeRejects: Readonly<Record<string, number>>
}

export interface PeerNodeEvents {
  'channel-opened': { readonly channel: ChannelId; readonly replicaSet: readonly PeerId[] }
  'channel-closed': { readonly channel: ChannelId }
  'role-changed': {
    readonly channel: ChannelId
    readonly from: ReplicaRole
    readonly to: ReplicaRole
  }
  'leader-changed': { readonly channel: ChannelId; readonly leader: PeerId | undefined }
  'catch-up-progress': {
    readonly channel: ChannelId
    readonly from: PeerId
    readonly tailSeq: Seq
    readonly appliedEntries: number
  }
  /** Entries [fromSeq, toSeq) are now in the channel's local log. */
  'log-advanced': { readonly channel: ChannelId; readonly fromSeq: Seq; readonly toSeq: Seq }
  /** The local log lost its tail or jumped (skip-ahead, truncation); readers should re-read. */
  'log-reset': { readonly channel: ChannelId; readonly firstSeq: Seq; readonly nextSeq: Seq }
  'divergence-suspected': {
    readonly channel: ChannelId
    readonly from: PeerId
    readonly fromSeq: Seq
    readonly toSeq: Seq
  }
  'disk-pressure': { readonly channel: ChannelId; readonly action: string }
  /** Pending writes of this peer's outbox are now committed in the local log. */
  'writes-committed': { readonly channel: ChannelId; readonly writes: readonly CommittedWrite[] }
  /** A divergent suffix was cut; its entries went back into the outbox (counted). */
  'writes-reproposed': {
    readonly channel: ChannelId
    readonly fromSeq: Seq
    readonly toSeq: Seq
    readonly count: number
  }
}

interface OpenChannel {
  readonly runtime: ReplicationRuntime
  options: ChannelOptions
  readonly detach: () => void
  /** The tail last announced through log-advanced/log-reset. */
  announcedTail: number
}

export class PeerNode extends TypedEventTarget<PeerNodeEvents> {
  readonly self: PeerId
  readonly store: LogStore
  readonly router = new ReplicationInboundRouter()
  readonly decodeRejects = new DropCounter(DECODE_FAILURES)
  readonly #options: PeerNodeOptions
  readonly #channels = new Map<ChannelId, OpenChannel>()
  readonly #dispatcher
  #stopped = false

  constructor(options: PeerNodeOptions) {
    super()
    this.self = options.self
    this.store = options.store
    this.#options = options
    this.#dispatcher = frameDispatcher(options.sink)
  }

  get channels(): readonly ChannelId[] {
    return [...this.#channels.keys()]
  }

  runtime(channel: ChannelId): ReplicationRuntime | undefined {
    return this.#channels.get(channel)?.runtime
  }

  /**
   * Starts replicating `channel` as a replica (a leader is elected among the
   * replica set). Opening an open channel with the same replica set does
   * nothing; with another set, the runtime restarts with the new one.
   */
  async open(channel: ChannelId, options: ChannelOptions): Promise<void> {
    if (this.#stopped) throw new ClosedError('the peer node has stopped')
    if (!options.replicaSet.includes(this.self)) {
      throw new InvalidArgumentError('the replica set must include this peer', {
        details: { channel, self: this.self, replicaSet: options.replicaSet.length },
      })
    }
    const current = this.#channels.get(channel)
    if (current !== undefined) {
      if (sameMembers(current.options.replicaSet, options.replicaSet)) return
      await this.close(channel)
    }
    const { clock, rng, hasher, store } = this.#options
    const coordinator = new ReplicationCoordinator({ channel, clock })
    await coordinator.transitionTo('replica', 'capability-selected')
    const runtime = new ReplicationRuntime({
      channel,
      self: this.self,
      replicaSet: options.replicaSet,
      heartbeatMs: options.heartbeatMs ?? this.#options.heartbeatMs ?? HEARTBEAT_MS_DEFAULT,
      // A caught-up replica's pull waits at the leader for the next append.
      parkHoldMs: PARK_HOLD_MS_DEFAULT,
      clock,
      rng,
      hasher,
      store,
      dispatcher: this.#dispatcher,
      coordinator,
      ...(this.#options.rttLookup === undefined ? {} : { rttLookup: this.#options.rttLookup }),
      ...(this.#options.signer === undefined ? {} : { signer: this.#options.signer }),
      ...(this.#options.signatures === undefined ? {} : { signatures: this.#options.signatures }),
      ...(options.diskPressurePolicy === undefined
        ? {}
        : { diskPressurePolicy: options.diskPressurePolicy }),
      ...(options.chunkMax === undefined ? {} : { chunkMax: options.chunkMax }),
      ...(options.peakBytesPerSecond === undefined
        ? {}
        : { peakBytesPerSecond: options.peakBytesPerSecond }),
      ...(options.bandwidthClass === undefined ? {} : { bandwidthClass: options.bandwidthClass }),
    })
    const open: OpenChannel = {
      runtime,
      options,
      detach: () => undefined,
      announcedTail: store.state(channel).nextSeq,
    }
    const unregister = this.router.register(channel, runtime)
    const offs = [
      runtime.on('role-changed', (e) =>
        this.emit('role-changed', { channel, from: e.detail.from, to: e.detail.to }),
      ),
      runtime.on('leader-changed', (e) =>
        this.emit('leader-changed', { channel, leader: e.detail.leader }),
      ),
      runtime.on('catch-up-progress', (e) => {
        this.emit('catch-up-progress', { channel, ...e.detail })
        this.#announce(channel)
      }),
      runtime.on('entries-appended', () => this.#announce(channel)),
      runtime.on('skip-ahead', () => this.#announce(channel)),
      // Entries were cut (and maybe replaced at once): readers must re-read,
      // even if the tail ends up past where it was.
      runtime.on('log-truncated', () => this.#announce(channel, true)),
      runtime.on('divergence-suspected', (e) =>
        this.emit('divergence-suspected', { channel, ...e.detail }),
      ),
      runtime.on('writes-committed', (e) =>
        this.emit('writes-committed', { channel, ...e.detail }),
      ),
      runtime.on('writes-reproposed', (e) =>
        this.emit('writes-reproposed', { channel, ...e.detail }),
      ),
      runtime.on('disk-pressure', (e) => {
        this.emit('disk-pressure', { channel, action: e.detail.action })
        this.#announce(channel)
      }),
    ]
    this.#channels.set(channel, {
      ...open,
      detach: () => {
        unregister()
        for (const off of offs) off()
      },
    })
    runtime.start()
    this.emit('channel-opened', { channel, replicaSet: options.replicaSet })
  }

  /**
   * Changes an open channel's replica set in place: unlike `open` with a new
   * set, the runtime keeps running (role, leader, log), so a room's set can
   * follow its members without an election per join.
   */
  setReplicaSet(channel: ChannelId, replicaSet: readonly PeerId[]): void {
    const open = this.#channels.get(channel)
    if (open === undefined) {
      throw new InvalidArgumentError(`channel ${channel} is not open`, { details: { channel } })
    }
    if (sameMembers(open.options.replicaSet, replicaSet)) return
    open.runtime.setReplicaSet(replicaSet)
    open.options = { ...open.options, replicaSet: [...replicaSet] }
    // Announced like an open with the new set: whoever keeps a desired set
    // per channel (a control loop) must not put the old one back.
    this.emit('channel-opened', { channel, replicaSet: open.options.replicaSet })
  }

  /**
   * The transport's link to `peer` closed: every channel treats it as
   * unreachable now rather than after missed heartbeats.
   */
  peerUnreachable(peer: PeerId): void {
    for (const open of this.#channels.values()) open.runtime.peerUnreachable(peer)
  }

  /** Stops replicating `channel` (its log stays in the store). */
  async close(channel: ChannelId): Promise<void> {
    const open = this.#channels.get(channel)
    if (open === undefined) return
    this.#channels.delete(channel)
    await open.runtime.cancel()
    open.detach()
    this.emit('channel-closed', { channel })
  }

  /**
   * Appends to the channel: committed at once on its leader, otherwise
   * pending in the durable outbox until a leader commits it (see
   * local-append).
   */
  append(channel: ChannelId, payloads: readonly Uint8Array[]): Promise<AppendOutcome> {
    const open = this.#channels.get(channel)
    if (open === undefined) {
      return Promise.reject(
        new InvalidArgumentError(`channel ${channel} is not open`, { details: { channel } }),
      )
    }
    return open.runtime.append(payloads)
  }

  /**
   * Whether a write is in the local log (committed), still in the outbox
   * (pending), or neither (unknown: not taken here, or its channel deleted).
   */
  async writeState(channel: ChannelId, key: WriteKey): Promise<WriteState> {
    if (this.store.outboxSize(channel) > 0) {
      const outbox = await this.store.outbox(channel)
      if (outbox.some((w) => w.author === key.author && w.authorSeq === key.authorSeq)) {
        return 'pending'
      }
    }
    return key.authorSeq <= this.store.authorMark(channel, key.author) ? 'committed' : 'unknown'
  }

  read(channel: ChannelId, from: Seq, to?: Seq, options?: ReadOptions): Promise<Entry[]> {
    return this.store.read(channel, from, to, options)
  }

  /**
   * A frame from `from` (authenticated by the transport). Returns whether it
   * reached a runtime; malformed frames are counted and change nothing.
   */
  receive(from: PeerId, bytes: Uint8Array): boolean {
    let frame: WireFrame
    try {
      frame = decodeFrame(bytes, this.#options.hasher)
    } catch (error) {
      this.decodeRejects.record(error instanceof DecodeError ? error.failure : 'inconsistent')
      return false
    }
    if (isSessionFrame(frame)) return this.#routeSessionFrame(from, frame)
    const inbound = { ...frame, from } as Inbound
    return this.router.tryRoute(
      (inbound as { message: { channelId: ChannelId } }).message.channelId,
      inbound,
    )
  }

  status(): PeerNodeStatus {
    const channels = [...this.#channels].map(([channel, open]): ChannelStatus => {
      const state = this.store.state(channel)
      return {
        channel,
        role: open.runtime.role,
        leader: open.runtime.role === 'leader' ? this.self : open.runtime.believedLeader,
        replicaSet: open.options.replicaSet,
        firstSeq: state.firstSeq,
        nextSeq: state.nextSeq,
        payloadBytes: state.payloadBytes,
        outboxSize: this.store.outboxSize(channel),
        metrics: open.runtime.metrics(),
      }
    })
    return {
      self: this.self,
      channels,
      routeDrops: this.router.drops.snapshot(),
      decodeRejects: this.decodeRejects.snapshot(),
    }
  }

  /** Stops every runtime. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true
    await Promise.all(this.channels.map((channel) => this.close(channel)))
  }

  #routeSessionFrame(from: PeerId, frame: SessionWireFrame): boolean {
    const handler = this.#options.sessionFrames
    if (handler !== undefined) return handler(from, frame)
    this.router.drops.record('no-runtime')
    return false
  }

  /**
   * Entries reached `channel`'s log past its runtime (a sync session
   * appended verified entries): readers hear of them as of the runtime's own.
   */
  noteAppended(channel: ChannelId): void {
    this.#announce(channel)
  }

  #announce(channel: ChannelId, rewritten = false): void {
    const open = this.#channels.get(channel)
    if (open === undefined) return
    const { firstSeq, nextSeq } = this.store.state(channel)
    if (rewritten) {
      this.emit('log-reset', { channel, firstSeq, nextSeq })
    } else if (nextSeq > open.announcedTail && firstSeq <= open.announcedTail) {
      this.emit('log-advanced', { channel, fromSeq: open.announcedTail as Seq, toSeq: nextSeq })
    } else if (nextSeq !== open.announcedTail) {
      this.emit('log-reset', { channel, firstSeq, nextSeq })
    }
    open.announcedTail = nextSeq
  }
}
