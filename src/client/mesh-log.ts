/**
 * The page-side API. A MeshLog is one peer of the mesh: it holds a tab slot
 * (a Web Lock, so a reload comes back as the same peer with the same
 * IndexedDB database), runs the replication worker under a watchdog, and
 * owns the links that must live on the page (libp2p streams, test links),
 * pumping their frames to the worker through the frame port. Other tabs of
 * the origin are linked by the worker itself, over BroadcastChannel.
 * Decoding, hashing and IndexedDB all happen in the worker; the page only
 * copies bytes.
 *
 * With `mesh: { relay, room }` the page also runs the libp2p browser node
 * (mesh-transport.ts, loaded only then): the peer id is the slot's libp2p
 * id, links to room members join the frame port, and channels opened with
 * `replicaSet: 'room'` follow the room's members (mesh-room.ts).
 */
import { type Remote, transfer } from 'comlink'
import { ClosedError, describeValue, InvalidArgumentError } from '../core/errors.js'
import { TypedEventTarget } from '../core/events/typed-event-target.js'
import type { Entry } from '../core/log/entry.js'
import { type ChannelId, channelId, type PeerId } from '../core/log/ids.js'
import type { Link } from '../core/transport/link.js'
import { installMeshlogErrorTransfer } from '../rpc/error-registry.js'
import { PageFramePort } from '../rpc/page-frame-port.js'
import { payloadTransfers } from '../rpc/payload-batch.js'
import type {
  AppendedRange,
  AppendReceipt,
  StoredChannel,
  WorkerApi,
  WorkerEvent,
} from '../rpc/worker-api.js'
import type { DrainOutcome } from '../worker/worker-control.js'
import { packAppend } from './append-batch.js'
import { type CallOptions, withDeadline } from './call-deadline.js'
import type { EntriesHandler } from './client-subscription.js'
import { type PendingWrite, type WaitCommittedOptions, waitCommitted } from './commit-waiter.js'
import type { MeshLogEvents, MeshLogStatus } from './mesh-log-events.js'
import {
  type MeshLogOptions,
  type OpenChannelOptions,
  type ReadRangeOptions,
  type ResolvedMeshLogOptions,
  resolveMeshLogOptions,
  resolveOpenOptions,
  type SubscribeOptions,
  slotNames,
  type Unsubscribe,
} from './mesh-log-options.js'
import { MeshRoom } from './mesh-room.js'
import type { MeshTransport } from './mesh-transport.js'
import { OpenChannels } from './open-channels.js'
import { watchPage } from './page-drain.js'
import type { PeerSlot } from './peer-slot.js'
import { acquireTabSlot } from './slot-memory.js'
import { SubscriptionBook } from './subscription-book.js'
import { keyDatabaseOf, spawnReplicationWorker, workerInitOf } from './worker-init.js'
import { WorkerSupervisor } from './worker-supervisor.js'

/** Entries per chunk `read` fetches unless told otherwise (at most 4096). */
export const READ_CHUNK_ENTRIES_DEFAULT = 1024
const READ_CHUNK_BYTES = 4 << 20

export class MeshLog extends TypedEventTarget<MeshLogEvents> {
  /** The namespace this peer's slot, databases and tab channel are named after. */
  readonly namespace: string
  /** This tab's slot number on the origin. */
  readonly slot: number
  /** Test hooks. Not for production use. */
  readonly testing: {
    /** Kills the worker without warning; the watchdog detects it and restarts it. */
    readonly terminateWorker: () => void
  }
  readonly #options: ResolvedMeshLogOptions
  readonly #lock: PeerSlot | undefined
  readonly #framePort = new PageFramePort()
  readonly #supervisor: WorkerSupervisor
  readonly #subscriptions: SubscriptionBook
  readonly #channels: OpenChannels
  readonly #mesh: MeshTransport | undefined
  #room: MeshRoom | undefined
  #self: PeerId | undefined
  #handlerErrors = 0
  #closing: Promise<void> | undefined
  #unwatchPage: (() => void) | undefined

  /**
   * Starts a peer: validates `options` (InvalidArgumentError), takes a tab
   * slot, spawns the replication worker and opens the slot's store, and
   * links same-origin tabs. Rejects with TimeoutError past `timeoutMs`
   * (default 30 s) and AbortedError when `signal` aborts.
   */
  static create(options: MeshLogOptions = {}): Promise<MeshLog> {
    let resolved: ResolvedMeshLogOptions
    try {
      resolved = resolveMeshLogOptions(options)
    } catch (error) {
      return Promise.reject(error)
    }
    installMeshlogErrorTransfer()
    let abandoned = false
    const building = MeshLog.#build(resolved).then((log) => {
      if (abandoned) void log.close()
      return log
    })
    return withDeadline('MeshLog.create', building, {
      timeoutMs: resolved.createTimeoutMs,
      signal: options.signal,
    }).catch((error: unknown) => {
      abandoned = true
      throw error
    })
  }

  static async #build(options: ResolvedMeshLogOptions): Promise<MeshLog> {
    let lock: PeerSlot | undefined
    let slot = options.slot
    if (slot === undefined) {
      const { lockPrefix, sessionKey } = slotNames(options.namespace, 0)
      lock = await acquireTabSlot({
        lockPrefix,
        sessionKey,
        max: options.maxSlots,
        waitMs: options.slotWaitMs,
      })
      slot = lock.index
    }
    let mesh: MeshTransport | undefined
    if (options.mesh !== undefined) {
      try {
        const { MeshTransport } = await import('./mesh-transport.js')
        // One key per slot for both: the libp2p node's peer id is the one
        // the worker signs as (signed entries) and names itself by.
        mesh = await MeshTransport.create(slotNames(options.namespace, slot).slotName, {
          ...options.mesh,
          keyDatabase: keyDatabaseOf(options, slot),
        })
      } catch (error) {
        lock?.release()
        throw error
      }
    }
    const log = new MeshLog(options, slot, lock, mesh)
    try {
      await log.#start()
    } catch (error) {
      await log.close()
      throw error
    }
    return log
  }

  private constructor(
    options: ResolvedMeshLogOptions,
    slot: number,
    lock: PeerSlot | undefined,
    mesh: MeshTransport | undefined,
  ) {
    super()
    this.#options = options
    this.namespace = options.namespace
    this.slot = slot
    this.#lock = lock
    this.#mesh = mesh
    this.#supervisor = new WorkerSupervisor({
      createWorker: options.createWorker ?? spawnReplicationWorker,
      init: workerInitOf(options, slot, mesh?.self ?? options.peerId),
      framePort: this.#framePort,
      callTimeoutMs: options.callTimeoutMs,
      watchdog: options.watchdog,
      onEvent: (event) => this.#onWorkerEvent(event),
      restore: (api) => this.#restore(api),
    })
    this.#subscriptions = new SubscriptionBook(this.#supervisor, (error) => {
      this.#handlerErrors += 1
      console.error('meshlog: a subscription handler threw', error)
    })
    this.#channels = new OpenChannels({
      supervisor: this.#supervisor,
      subscriptions: this.#subscriptions,
      onEntries: (channel, entries) => this.emit('entry', { channel, entries }),
      closing: () => this.#closing !== undefined,
    })
    this.#supervisor.on('crashed', (e) => this.emit('worker-crashed', e.detail))
    this.#supervisor.on('restarted', (e) => this.emit('worker-restarted', e.detail))
    this.#supervisor.on('failed', (e) => this.emit('worker-failed', e.detail))
    this.testing = { terminateWorker: () => this.#supervisor.terminateWorker() }
  }

  /** This peer's id: stable per slot (or the `peerId` option). */
  get peerId(): PeerId {
    if (this.#self === undefined) throw new ClosedError('the MeshLog has not started')
    return this.#self
  }

  /** Channels opened on this client, in the order they were opened. */
  get channels(): readonly ChannelId[] {
    return this.#channels.ids
  }

  async #start(): Promise<void> {
    const hello = await this.#supervisor.start({ timeoutMs: this.#options.createTimeoutMs })
    this.#self = hello.self
    const ignore = () => undefined
    this.#unwatchPage = watchPage({
      target: this.#options.pageLifecycle,
      drain: () => void this.drain({ reason: 'tab-closing' }).catch(ignore),
      standAgain: () =>
        void this.#supervisor.call('cancelDrain', (api) => api.cancelDrain(), {}).catch(ignore),
      links: () => this.#framePort.links,
      reportRtt: (samples) =>
        void this.#supervisor.call('reportRtt', (api) => api.reportRtt(samples), {}).catch(ignore),
    })
    const mesh = this.#mesh
    if (mesh === undefined) return
    this.#room = new MeshRoom({
      mesh,
      self: hello.self,
      namespace: this.namespace,
      framePort: this.#framePort,
      channels: this.#channels,
      closing: () => this.#closing !== undefined,
    })
    await mesh.setOnline(true)
  }

  /** Whether the mesh is joined (false without `mesh`, or after `setOnline(false)`). */
  get online(): boolean {
    return this.#mesh?.online ?? false
  }

  /**
   * Leaves the mesh (every link dropped, the relay too) or joins it again.
   * Replication with other tabs of this origin goes on either way.
   */
  async setOnline(online: boolean, options: CallOptions = {}): Promise<void> {
    const mesh = this.#mesh
    if (mesh === undefined) {
      throw new InvalidArgumentError('setOnline needs the mesh option', {
        details: { option: 'mesh' },
      })
    }
    if (this.#closing !== undefined) throw new ClosedError('the MeshLog is closed')
    await withDeadline(`going ${online ? 'online' : 'offline'}`, mesh.setOnline(online), {
      timeoutMs: options.timeoutMs ?? this.#options.callTimeoutMs,
      signal: options.signal,
    })
  }

  /**
   * Hands leadership of every channel this peer leads to a live replica and
   * stops standing for election (the tab is leaving; `pagehide` does this by
   * itself). Resolves with `drained`, or `deadline-exceeded` if some channel
   * found no successor in time (default deadline 10 s).
   */
  drain(
    options: CallOptions & {
      readonly reason?: 'tab-closing' | 'local'
      readonly deadlineMs?: number
    } = {},
  ): Promise<DrainOutcome> {
    const reason = options.reason ?? 'local'
    return this.#supervisor.call('drain', (api) => api.drain(reason, options.deadlineMs), options)
  }

  /**
   * Starts replicating `channel` with `replicaSet` (which must include
   * `peerId`). Opening an open channel with the same set changes nothing;
   * with another set, replication restarts with it. The channel stays open
   * across worker restarts until `closeChannel`.
   */
  async open(channel: string, options: OpenChannelOptions): Promise<StoredChannel> {
    const id = channelId(channel)
    const room = this.#room
    const workerOptions = resolveOpenOptions(
      options,
      room === undefined ? undefined : () => room.peers,
    )
    const stored = await this.#supervisor.call(
      'open',
      (api) => api.open(id, workerOptions),
      options,
    )
    const opened = {
      options: workerOptions,
      room: options.replicaSet === 'room',
      roomPeers: room?.peers,
      entryEvents: options.entryEvents ?? true,
      from: stored.nextSeq,
    }
    await this.#channels.opened(id, opened, options)
    return stored
  }

  /** Stops replicating `channel`; its log stays in IndexedDB. */
  async closeChannel(channel: string, options: CallOptions = {}): Promise<void> {
    const id = channelId(channel)
    await this.#channels.closed(id, options)
    await this.#supervisor.call('closeChannel', (api) => api.close(id), options)
  }

  /**
   * Appends one entry. Resolves once it is durable in IndexedDB: with its
   * seq when this peer leads the channel, else `{ pending }` (it waits in
   * this peer's outbox and will be committed exactly once; see the README's
   * write model).
   */
  async append(
    channel: string,
    payload: Uint8Array,
    options: CallOptions = {},
  ): Promise<{ readonly seq: AppendedRange['firstSeq'] } | { readonly pending: PendingWrite }> {
    const receipt = await this.appendMany(channel, [payload], options)
    if (!('pending' in receipt)) return { seq: receipt.firstSeq }
    return { pending: { channel: channelId(channel), ...receipt.pending } }
  }

  /**
   * Resolves once a pending write is committed in this peer's log (with its
   * seq when known); rejects with CommitTimeoutError at the deadline (the
   * write stays pending and will still commit).
   */
  waitCommitted(
    pending: PendingWrite,
    options: WaitCommittedOptions = {},
  ): Promise<{ readonly seq?: AppendedRange['firstSeq'] }> {
    return waitCommitted(
      {
        onCommitted: (listener) => this.on('committed', (e) => listener(e.detail)),
        writeState: (w) =>
          this.#supervisor.call('writeState', (api) =>
            api.writeState(w.channel, w.author, w.authorSeq),
          ),
      },
      pending,
      options,
    )
  }

  /**
   * Appends up to 4096 payloads (16 MiB) in one atomic, durable batch: on
   * the leader they take the seqs `[firstSeq, nextSeq)`; elsewhere they are
   * pending together. Payloads are copied, never detached.
   */
  async appendMany(
    channel: string,
    payloads: readonly Uint8Array[],
    options: CallOptions = {},
  ): Promise<AppendReceipt> {
    const id = channelId(channel)
    const batch = packAppend(id, payloads)
    return this.#supervisor.call<AppendReceipt>(
      'append',
      (api) => api.append(id, transfer(batch, payloadTransfers(batch))),
      options,
    )
  }

  /**
   * The channel's entries `[from, to)` in order, fetched from the worker in
   * bounded chunks as you iterate; each chunk has the call deadline.
   */
  async *read(channel: string, options: ReadRangeOptions = {}): AsyncGenerator<Entry> {
    const id = channelId(channel)
    const chunkEntries = options.chunkEntries ?? READ_CHUNK_ENTRIES_DEFAULT
    let from: number | null = options.from ?? null
    let to: number | null = options.to ?? null
    for (;;) {
      const start = from
      const end = to
      const chunk = await this.#supervisor.call(
        'read',
        (api) => api.read(id, start, end, { maxEntries: chunkEntries, maxBytes: READ_CHUNK_BYTES }),
        options,
      )
      to ??= chunk.nextSeq
      const last = chunk.entries[chunk.entries.length - 1]
      yield* chunk.entries
      if (last === undefined || last.seq + 1 >= to) return
      from = last.seq + 1
    }
  }

  /** The channel's local log (bounds and bytes), open or not. */
  stored(channel: string, options: CallOptions = {}): Promise<StoredChannel> {
    const id = channelId(channel)
    return this.#supervisor.call('stored', (api) => api.stored(id), options)
  }

  /**
   * Calls `onEntries` with each batch of the channel's entries, in order,
   * from `from` on, as they reach the local log. The next batch waits for
   * an async handler. Survives worker restarts without gaps or repeats.
   * Resolves with the function that ends it.
   */
  async subscribe(
    channel: string,
    onEntries: EntriesHandler,
    options: SubscribeOptions = {},
  ): Promise<Unsubscribe> {
    const id = channelId(channel)
    if (typeof onEntries !== 'function') {
      throw new InvalidArgumentError('subscribe needs a handler function', {
        details: { channel: id, handler: describeValue(onEntries) },
      })
    }
    const from = options.from ?? 'tail'
    if (from !== 'tail' && !(Number.isSafeInteger(from) && from >= 0)) {
      throw new InvalidArgumentError('subscribe from must be a seq or "tail"', {
        details: { channel: id, from: describeValue(from) },
      })
    }
    const subscription = await this.#subscriptions.add(
      id,
      from,
      onEntries,
      options.onReset,
      options,
    )
    let ended: Promise<void> | undefined
    return () => {
      ended ??= this.#subscriptions.remove(subscription, options)
      return ended
    }
  }

  /** Hands a link to the frame port: its frames reach the worker, with backpressure both ways. */
  attachLink(link: Link): void {
    if (this.#closing !== undefined) {
      link.close()
      throw new ClosedError('the MeshLog is closed')
    }
    if (typeof link?.send !== 'function' || link.frames === undefined) {
      throw new InvalidArgumentError('attachLink needs a Link', {
        details: { link: describeValue(link) },
      })
    }
    this.#framePort.attachLink(link)
  }

  /** Roles, leaders, tails, lag and counters of every open channel, the worker and the client. */
  async status(options: CallOptions = {}): Promise<MeshLogStatus> {
    const worker = await this.#supervisor.call('status', (api) => api.status(), options)
    const { calls, watchdog } = this.#supervisor.status()
    const mesh = this.#mesh?.status()
    return {
      ...worker,
      namespace: this.namespace,
      slot: this.slot,
      pageLinks: [...this.#framePort.links].map(([peer, link]) => ({ peer, kind: link.kind })),
      ...(mesh === undefined ? {} : { mesh }),
      client: {
        ...calls,
        subscriptions: this.#subscriptions.size,
        handlerErrors: this.#handlerErrors,
      },
      watchdog,
    }
  }

  /**
   * Leaves the tab mesh, stops the worker (pending calls reject with
   * ClosedError), closes every link and releases the slot. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#unwatchPage?.()
    this.#subscriptions.endAll()
    await this.#mesh?.close()
    await this.#supervisor.close()
    for (const link of this.#framePort.links.values()) link.close()
    this.#lock?.release()
  }

  /** Puts a restarted worker back where the old one was. */
  async #restore(api: Remote<WorkerApi>): Promise<void> {
    await this.#channels.restore(api)
    await this.#subscriptions.restore(api)
  }

  #onWorkerEvent(event: WorkerEvent): void {
    // TypeScript cannot pair a union's `type` with its `detail`; WorkerEvent does.
    this.emit(event.type, event.detail as never)
    if (event.type === 'writes-committed') {
      const { channel, writes } = event.detail
      for (const write of writes) this.emit('committed', { channel, ...write })
    }
  }
}
