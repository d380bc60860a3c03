/**
 * A small deterministic world of SyncNodes for the sync-session and drain
 * scenarios: one channel replicated by every peer, MemoryLogStores, one
 * ManualClock and a seeded SimNetwork, and a sink per peer that can rewrite
 * (a liar) or drop (a lossy link to one peer) what it sends. Time moves only
 * through `stepTo`/`until`, which run the truth check at every quiescent step.
 */
import { loadEntryHasher } from '../../log/entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId } from '../../log/ids.js'
import { MemoryLogStore } from '../../log/memory-log-store.js'
import { SyncNode, type SyncNodeOptions } from '../../node/sync-node.js'
import { type Rng, seededRng } from '../../random/rng.js'
import { ManualClock } from '../../time/manual-clock.js'
import { decodeFrame, type WireFrame } from '../../wire/frame-codec.js'
import { InvariantViolation } from '../invariant-violation.js'
import { SimNetwork } from '../sim-network.js'
import { stepUntil } from '../sim-stepper.js'
import { LogTruth } from './log-truth.js'

export type FrameRewrite = (to: PeerId, frame: WireFrame, bytes: Uint8Array) => Uint8Array
export type FrameDrop = (to: PeerId, frame: WireFrame) => boolean

export interface SyncWorldOptions {
  readonly seed: number
  readonly peerCount: number
  readonly heartbeatMs: number
  readonly maxLatencyMs: number
  readonly node?: (peer: PeerId) => Partial<SyncNodeOptions>
}

export const SIM_CHANNEL: ChannelId = channelId('sync-sim')

export class SyncWorld {
  readonly clock = new ManualClock({ start: 0 })
  readonly rng: Rng
  readonly net: SimNetwork
  readonly peers: readonly PeerId[]
  readonly nodes = new Map<PeerId, SyncNode>()
  readonly stores = new Map<PeerId, MemoryLogStore>()
  readonly down = new Set<PeerId>()
  readonly rewrites = new Map<PeerId, FrameRewrite>()
  readonly drops = new Map<PeerId, FrameDrop>()
  readonly truth: LogTruth
  readonly heartbeatMs: number
  readonly trace: string[] = []
  /** Extra checks run at every step after the truth check. */
  readonly checks: ((now: number) => void)[] = []
  steps = 0

  private constructor(options: SyncWorldOptions) {
    this.rng = seededRng(options.seed ^ 0x51c0de)
    this.heartbeatMs = options.heartbeatMs
    this.net = new SimNetwork({
      clock: this.clock,
      rng: seededRng(this.rng.nextU32()),
      minLatencyMs: 1,
      maxLatencyMs: options.maxLatencyMs,
    })
    this.peers = Array.from({ length: options.peerCount }, (_, i) => peerId(`s${i + 1}`))
    this.truth = new LogTruth(SIM_CHANNEL, this.stores, (peer) => this.#isLeader(peer))
  }

  static async create(options: SyncWorldOptions): Promise<SyncWorld> {
    const world = new SyncWorld(options)
    const hasher = await loadEntryHasher()
    for (const self of world.peers) {
      const store = new MemoryLogStore()
      await store.open()
      world.stores.set(self, store)
      const node = new SyncNode({
        self,
        store,
        hasher,
        clock: world.clock,
        rng: seededRng(world.rng.nextU32()),
        heartbeatMs: options.heartbeatMs,
        sink: {
          send: (to, bytes) => {
            const rewrite = world.rewrites.get(self)
            const drop = world.drops.get(self)
            if (rewrite !== undefined || drop !== undefined) {
              const frame = decodeFrame(bytes)
              if (drop?.(to, frame) === true) return 'queued'
              if (rewrite !== undefined) bytes = rewrite(to, frame, bytes)
            }
            world.net.send(self, to, bytes)
            return 'queued'
          },
        },
        ...options.node?.(self),
      })
      world.net.attach(self, (from, bytes) => node.receive(from, bytes))
      world.nodes.set(self, node)
    }
    for (const node of world.nodes.values()) await node.start()
    return world
  }

  node(peer: PeerId): SyncNode {
    const node = this.nodes.get(peer)
    if (node === undefined) throw new Error(`no peer ${peer}`)
    return node
  }

  store(peer: PeerId): MemoryLogStore {
    const store = this.stores.get(peer)
    if (store === undefined) throw new Error(`no peer ${peer}`)
    return store
  }

  live(): PeerId[] {
    return this.peers.filter((p) => !this.down.has(p))
  }

  role(peer: PeerId) {
    return this.down.has(peer) ? undefined : this.node(peer).node.runtime(SIM_CHANNEL)?.role
  }

  follows(peer: PeerId): PeerId | undefined {
    return this.down.has(peer)
      ? undefined
      : this.node(peer).node.runtime(SIM_CHANNEL)?.believedLeader
  }

  tail(peer: PeerId): number {
    return this.store(peer).state(SIM_CHANNEL).nextSeq
  }

  /** The live leader every other live peer follows, if there is exactly one. */
  settledLeader(): PeerId | undefined {
    const live = this.live()
    const leaders = live.filter((p) => this.role(p) === 'leader')
    const [leader] = leaders
    if (leaders.length !== 1 || leader === undefined) return undefined
    return live.every((p) => p === leader || this.follows(p) === leader) ? leader : undefined
  }

  note(line: string): void {
    this.trace.push(`${this.clock.now()} ${line}`)
    if (this.trace.length > 40) this.trace.shift()
  }

  async openAll(): Promise<void> {
    for (const peer of this.peers) {
      await this.node(peer).open(SIM_CHANNEL, { replicaSet: this.peers })
    }
  }

  /** Steps until one leader is followed by every live peer. */
  async awaitSettledLeader(maxMs: number): Promise<PeerId> {
    const deadline = this.clock.now() + maxMs
    while (this.clock.now() < deadline) {
      const leader = this.settledLeader()
      if (leader !== undefined) return leader
      await this.stepTo(this.clock.now() + Math.ceil(this.heartbeatMs / 4))
    }
    throw new InvariantViolation(
      'convergence',
      this.clock.now(),
      `no settled leader within ${maxMs} ms`,
    )
  }

  async stepTo(until: number): Promise<void> {
    await stepUntil(this.clock, until, async (now) => {
      this.steps += 1
      await this.truth.check(now, this.live())
      for (const check of this.checks) check(now)
    })
  }

  /** Steps until `promise` settles (at most `maxMs`), then returns it. */
  async until<T>(promise: Promise<T>, maxMs = 120_000): Promise<T> {
    let settled = false
    const done = () => {
      settled = true
    }
    promise.then(done, done)
    const deadline = this.clock.now() + maxMs
    while (!settled && this.clock.now() < deadline) await this.stepTo(this.clock.now() + 5)
    return promise
  }

  /** The peer's process dies: off the network, its node stopped. */
  async crash(peer: PeerId): Promise<void> {
    if (this.down.has(peer)) return
    this.down.add(peer)
    this.net.crash(peer)
    this.note(`crash ${peer}`)
    await this.until(this.node(peer).stop(), 10_000)
  }

  async stopAll(): Promise<void> {
    const stopping = Promise.all(this.live().map((peer) => this.node(peer).stop()))
    for (const peer of this.live()) this.down.add(peer)
    await this.until(stopping, 60_000)
  }

  #isLeader(peer: PeerId): boolean {
    return this.role(peer) === 'leader'
  }
}
