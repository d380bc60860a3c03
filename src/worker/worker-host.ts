/**
 * The worker side of meshlog: one slot's IndexedDB store, a PeerNode whose
 * frames go out through the WorkerFramePort and come in from it, and the
 * Comlink API the page drives (rpc/worker-api.ts). Policy lives in the
 * PeerNode and the runtimes; this class only wires them to the page.
 */
import { transfer } from 'comlink'
import { ClosedError, InvalidArgumentError } from '../core/errors.js'
import { loadEntryHasher } from '../core/log/entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId, type Seq, seq } from '../core/log/ids.js'
import type { ChannelOptions, PeerNode, WriteState } from '../core/node/peer-node.js'
import { SyncNode } from '../core/node/sync-node.js'
import { cryptoRng } from '../core/random/rng.js'
import { type Clock, systemClock } from '../core/time/clock.js'
import { packEntries } from '../rpc/entry-batch.js'
import { unpackPayloads } from '../rpc/payload-batch.js'
import type {
  AppendReceipt,
  Delivery,
  PageCallback,
  ReadChunk,
  ReadLimits,
  StoredChannel,
  WorkerApi,
  WorkerChannelOptions,
  WorkerEvent,
  WorkerHello,
  WorkerInit,
  WorkerStatus,
} from '../rpc/worker-api.js'
import { FORWARDED_EVENTS } from '../rpc/worker-api.js'
import { WorkerFramePort } from '../rpc/worker-frame-port.js'
import { IdbLogStore } from '../storage/idb-log-store.js'
import { slotPeerId } from './slot-identity.js'
import { slotSigning } from './slot-signing.js'
import { SubscriptionPump } from './subscription-pump.js'
import { syncStatus } from './sync-status.js'
import { TabTransport } from './tab-transport.js'
import { type DrainOutcome, WorkerControl } from './worker-control.js'

/** Most entries and payload bytes one read call returns. */
export const READ_MAX_ENTRIES = 4096
export const READ_MAX_BYTES = 8 << 20
/** Most live subscriptions per worker. */
export const SUBSCRIPTIONS_MAX = 256

interface Running {
  readonly node: PeerNode
  readonly sync: SyncNode
  readonly control: WorkerControl
  readonly store: IdbLogStore
  readonly framePort: WorkerFramePort
  readonly eventPort: MessagePort
  readonly tabs: TabTransport | undefined
}

function checkLimit(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new InvalidArgumentError(`${name} must be an integer from 1 to ${max}`, {
      details: { [name]: String(value) },
    })
  }
  return value
}

function channelOptions(options: WorkerChannelOptions): ChannelOptions {
  if (!Array.isArray(options?.replicaSet)) {
    throw new InvalidArgumentError('replicaSet must be an array of peer ids', {
      details: { replicaSet: typeof options?.replicaSet },
    })
  }
  return {
    replicaSet: options.replicaSet.map((p) => peerId(p)),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.chunkMax === undefined ? {} : { chunkMax: options.chunkMax }),
    ...(options.peakBytesPerSecond === undefined
      ? {}
      : { peakBytesPerSecond: options.peakBytesPerSecond }),
    ...(options.bandwidthClass === undefined ? {} : { bandwidthClass: options.bandwidthClass }),
    ...(options.diskPressurePolicy === undefined
      ? {}
      : { diskPressurePolicy: options.diskPressurePolicy }),
  }
}

export class WorkerHost implements WorkerApi {
  readonly #clock: Clock
  #starting: Promise<WorkerHello> | undefined
  #running: Running | undefined
  #stopping: Promise<void> | undefined
  readonly #pumps = new Map<number, SubscriptionPump>()
  #nextSubscription = 1
  #deliveries = 0
  #timedOut = 0

  constructor(options: { readonly clock?: Clock } = {}) {
    this.#clock = options.clock ?? systemClock
  }

  init(init: WorkerInit, framePort: MessagePort, eventPort: MessagePort): Promise<WorkerHello> {
    if (this.#starting !== undefined) {
      return Promise.reject(new InvalidArgumentError('the worker is already initialized'))
    }
    this.#starting = this.#start(init, framePort, eventPort)
    return this.#starting
  }

  async #start(
    init: WorkerInit,
    framePort: MessagePort,
    eventPort: MessagePort,
  ): Promise<WorkerHello> {
    const signing =
      init.signing === undefined
        ? undefined
        : await slotSigning(init.signing.keyDatabaseName, init.slotName, init.signing.groupSize)
    // A page that passes a peer id and asks for signing (its libp2p node's
    // id) must have loaded the same slot key: entries are signed as `self`.
    if (signing !== undefined && init.peerId !== undefined && init.peerId !== signing.self) {
      throw new InvalidArgumentError("the slot's signing key is not the given peer id's key", {
        details: {
          peerId: init.peerId,
          keyPeerId: signing.self,
          keyDatabase: init.signing?.keyDatabaseName,
        },
      })
    }
    const self =
      signing?.self ??
      (init.peerId === undefined
        ? await slotPeerId(init.identityDatabaseName, init.slotName)
        : peerId(init.peerId))
    const hasher = await loadEntryHasher()
    const store = new IdbLogStore({ databaseName: init.databaseName, hasher })
    await store.open()
    const port = new WorkerFramePort(framePort)
    let sync: SyncNode | undefined
    const receive = (peer: PeerId, frame: Uint8Array) => sync?.receive(peer, frame)
    // A closed link is certain news: the peer is unreachable now, not after missed heartbeats.
    // With a tab link and a page link to one peer, it is unreachable only once both are gone.
    let tabs: TabTransport | undefined
    const linkDown = (peer: PeerId) => {
      if (port.links.has(peer) || tabs?.links.has(peer) === true) return
      sync?.node.peerUnreachable(peer)
    }
    tabs =
      init.tabLinks === undefined
        ? undefined
        : new TabTransport({ ...init.tabLinks, self, clock: this.#clock }, receive, linkDown)
    sync = new SyncNode({
      self,
      store,
      hasher,
      clock: this.#clock,
      rng: cryptoRng(),
      sink: tabs === undefined ? port : tabs.sinkBefore(port),
      ...(signing === undefined ? {} : { signer: signing.signer, signatures: signing.signatures }),
      ...(init.heartbeatMs === undefined ? {} : { heartbeatMs: init.heartbeatMs }),
      // A channel's log is served to its replica set only, as replication is.
      mayServe: (peer, channel) =>
        sync?.channelOptions(channel)?.replicaSet.includes(peer) ?? false,
    })
    const node = sync.node
    await sync.start()
    const control = new WorkerControl({
      node: sync,
      store,
      hasher,
      clock: this.#clock,
      linkedPeers: () => [...(tabs?.links.keys() ?? []), ...port.links.keys()],
      onSnapshot: (snapshot) => eventPort.postMessage({ type: 'snapshot', detail: snapshot }),
      ...(typeof navigator !== 'undefined' && navigator.storage?.estimate !== undefined
        ? { estimateStorage: () => navigator.storage.estimate() }
        : {}),
    })
    port.on('frame', (e) => receive(e.detail.peer, e.detail.frame))
    port.on('link-down', (e) => linkDown(e.detail.peer))
    for (const type of FORWARDED_EVENTS) {
      node.on(type, (e) => eventPort.postMessage({ type, detail: e.detail } as WorkerEvent))
    }
    node.on('log-advanced', (e) => this.#pokePumps(e.detail.channel))
    node.on('log-reset', (e) => {
      for (const pump of this.#pumps.values())
        if (pump.channel === e.detail.channel) pump.reset(e.detail.nextSeq)
    })
    this.#running = { node, sync, control, store, framePort: port, eventPort, tabs }
    tabs?.start()
    control.start()
    return { self }
  }

  async open(channel: string, options: WorkerChannelOptions): Promise<StoredChannel> {
    const id = channelId(channel)
    await this.#ready().sync.open(id, channelOptions(options))
    return this.stored(id)
  }

  async setReplicaSet(channel: string, replicaSet: readonly string[]): Promise<void> {
    const { replicaSet: peers } = channelOptions({ replicaSet })
    this.#ready().sync.setReplicaSet(channelId(channel), peers)
  }

  async close(channel: string): Promise<void> {
    await this.#ready().node.close(channelId(channel))
  }

  async append(
    channel: string,
    payloads: Parameters<WorkerApi['append']>[1],
  ): Promise<AppendReceipt> {
    const result = await this.#ready().node.append(channelId(channel), unpackPayloads(payloads))
    if ('pending' in result) {
      const { author, authorSeq } = result.pending
      return { pending: { author, authorSeq }, count: result.count }
    }
    return { firstSeq: result.firstSeq, nextSeq: result.nextSeq }
  }

  async read(
    channel: string,
    from: number | null,
    to: number | null,
    limits: ReadLimits,
  ): Promise<ReadChunk> {
    const { store } = this.#ready()
    const id = channelId(channel)
    const options = {
      maxEntries: checkLimit('maxEntries', limits?.maxEntries, READ_MAX_ENTRIES),
      maxBytes: checkLimit('maxBytes', limits?.maxBytes, READ_MAX_BYTES),
    }
    const before = store.state(id)
    const start = from === null ? before.firstSeq : seq(from)
    const entries = await store.read(id, start, to === null ? undefined : seq(to), options)
    const after = store.state(id)
    const packed = packEntries(entries)
    return transfer({ entries: packed.entries, firstSeq: after.firstSeq, nextSeq: after.nextSeq }, [
      packed.buffer,
    ])
  }

  async stored(channel: string): Promise<StoredChannel> {
    const { firstSeq, nextSeq, payloadBytes } = this.#ready().store.state(channelId(channel))
    return { channel: channelId(channel), firstSeq, nextSeq, payloadBytes }
  }

  async writeState(channel: string, author: string, authorSeq: number): Promise<WriteState> {
    if (!Number.isSafeInteger(authorSeq) || authorSeq < 0) {
      throw new InvalidArgumentError('authorSeq must be a non-negative safe integer', {
        details: { authorSeq: String(authorSeq) },
      })
    }
    return this.#ready().node.writeState(channelId(channel), { author: peerId(author), authorSeq })
  }

  async subscribe(
    channel: string,
    from: number | 'tail',
    deliver: PageCallback<Delivery>,
  ): Promise<{ readonly id: number; readonly from: Seq }> {
    const { store } = this.#ready()
    const id = channelId(channel)
    if (this.#pumps.size >= SUBSCRIPTIONS_MAX) {
      throw new InvalidArgumentError(`at most ${SUBSCRIPTIONS_MAX} subscriptions per worker`, {
        details: { channel: id, active: this.#pumps.size },
      })
    }
    const start = from === 'tail' ? store.state(id).nextSeq : seq(from)
    const subscription = this.#nextSubscription++
    const pump = new SubscriptionPump({
      store,
      channel: id,
      from: start,
      deliver,
      clock: this.#clock,
      onDelivered: () => {
        this.#deliveries += 1
      },
      onEnd: (end) => {
        this.#pumps.delete(subscription)
        if (end === 'timed-out') this.#timedOut += 1
      },
    })
    this.#pumps.set(subscription, pump)
    pump.poke()
    return { id: subscription, from: start }
  }

  async unsubscribe(id: number): Promise<void> {
    this.#pumps.get(id)?.close()
  }

  async status(): Promise<WorkerStatus> {
    const { node, sync, control, store, framePort, tabs } = this.#ready()
    return {
      ...node.status(),
      framePortRefusals: framePort.refusals.snapshot(),
      links: [
        ...[...(tabs?.links.values() ?? [])].map((link) => ({
          peer: link.remotePeer,
          kind: link.kind,
        })),
        ...[...framePort.links].map(([peer, kind]) => ({ peer, kind })),
      ],
      subscriptions: {
        active: this.#pumps.size,
        deliveries: this.#deliveries,
        timedOut: this.#timedOut,
      },
      store: store.metrics(),
      control: control.snapshot(),
      sync: syncStatus(sync),
    }
  }

  drain(reason: 'tab-closing' | 'local', deadlineMs?: number): Promise<DrainOutcome> {
    if (reason !== 'tab-closing' && reason !== 'local') {
      return Promise.reject(
        new InvalidArgumentError('drain reason must be tab-closing or local', {
          details: { reason: String(reason) },
        }),
      )
    }
    return this.#ready().control.drain(reason, deadlineMs)
  }

  async cancelDrain(): Promise<void> {
    this.#ready().control.cancelDrain()
  }

  async reportRtt(samples: readonly { readonly peer: string; readonly rttMs: number }[]) {
    if (!Array.isArray(samples)) return
    this.#ready().control.reportRtt(
      samples.map((s) => ({ peer: peerId(s.peer), rttMs: Number(s.rttMs) })),
    )
  }

  ping(): number {
    return this.#clock.now()
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    await this.#starting?.catch(() => undefined)
    for (const pump of [...this.#pumps.values()]) pump.close()
    const running = this.#running
    if (running === undefined) return
    await running.control.stop()
    running.tabs?.stop()
    await running.sync.stop()
    running.framePort.close()
    running.eventPort.close()
    await running.store.close()
  }

  #ready(): Running {
    if (this.#stopping !== undefined) throw new ClosedError('the worker has stopped')
    if (this.#running === undefined) {
      throw new ClosedError('the worker is not initialized yet')
    }
    return this.#running
  }

  #pokePumps(channel: ChannelId): void {
    for (const pump of this.#pumps.values()) if (pump.channel === channel) pump.poke()
  }
}
