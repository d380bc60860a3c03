/**
 * One simulated peer: a PeerNode over a MemoryLogStore, attached to the
 * SimNetwork. Its disk (the MemoryLogBacking) outlives crashes: `crash()`
 * takes the peer off the network and stops its node (every runtime, timer
 * and queued append with it), and `start()` builds a new incarnation (new
 * store object, node and runtimes) over the same backing, as a reloaded
 * tab does over IndexedDB.
 *
 * The disk can fill up: `fillDisk` caps the store's quota a little above
 * what it holds, so appends soon fail with StorageFullError and the
 * channel's disk-pressure policy acts; `freeDisk` lifts the cap, and an
 * operator (the simulation) re-opens the channels the peer withdrew from,
 * as the mesh control loop would.
 */
import type { EntrySignaturePolicy, EntrySigner } from '../crypto/entry-signing.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import { MemoryLogBacking, MemoryLogStore } from '../log/memory-log-store.js'
import { PeerNode } from '../node/peer-node.js'
import { type Rng, seededRng } from '../random/rng.js'
import type { ReplicaRole } from '../replication/messages.js'
import type { ManualClock } from '../time/manual-clock.js'
import type { SimNetwork } from './sim-network.js'
import type { SimChannelPlan } from './sim-scenario.js'

export interface SimPeerHooks {
  /** Sees every frame delivered to a peer and may replace it (a man in the middle). */
  readonly deliver?: (to: PeerId, from: PeerId, bytes: Uint8Array) => Uint8Array
  /** Sees every frame a peer sends. */
  readonly sent?: (from: PeerId, to: PeerId, bytes: Uint8Array) => void
  /** Each new incarnation's node, before its channels open. */
  readonly started?: (peer: SimPeer, node: PeerNode) => void
  /** An incarnation's node just before it stops (its counters are final). */
  readonly stopping?: (peer: SimPeer, node: PeerNode) => void
}

export interface SimPeerOptions {
  readonly id: PeerId
  readonly clock: ManualClock
  /** The peer's own stream; each incarnation's node gets a fork of it. */
  readonly rng: Rng
  readonly net: SimNetwork
  readonly hasher: EntryHasher
  readonly heartbeatMs: number
  /** Signs this peer's writes and checks every author's signature (a signed scenario). */
  readonly signing?: { readonly signer: EntrySigner; readonly signatures: EntrySignaturePolicy }
  /** The channels this peer replicates. */
  readonly channels: readonly SimChannelPlan[]
  readonly hooks?: SimPeerHooks
}

export class SimPeer {
  readonly id: PeerId
  readonly backing = new MemoryLogBacking()
  readonly channels: readonly SimChannelPlan[]
  readonly #options: SimPeerOptions
  #store: MemoryLogStore | undefined
  #node: PeerNode | undefined
  #quotaBytes = Number.POSITIVE_INFINITY
  #incarnation = 0

  constructor(options: SimPeerOptions) {
    this.id = options.id
    this.channels = options.channels
    this.#options = options
  }

  get isUp(): boolean {
    return this.#node !== undefined
  }

  /** The running node; undefined while crashed. */
  get node(): PeerNode | undefined {
    return this.#node
  }

  get incarnation(): number {
    return this.#incarnation
  }

  /** This peer's role for `channel`; undefined while it is down. */
  role(channel: ChannelId): ReplicaRole | undefined {
    return this.#node?.runtime(channel)?.role
  }

  /** The leader this peer follows for `channel`, if any. */
  follows(channel: ChannelId): PeerId | undefined {
    return this.#node?.runtime(channel)?.believedLeader
  }

  /** When this peer last heard `leader` about `channel` (simulated ms), if it did. */
  heardAt(channel: ChannelId, leader: PeerId): number | undefined {
    return this.#node?.runtime(channel)?.lastHeardFrom(leader)
  }

  /** Writes waiting in this peer's outbox for `channel` (on its disk, up or down). */
  outboxSize(channel: ChannelId): number {
    return this.backing.outboxes.get(channel)?.size ?? 0
  }

  get diskFull(): boolean {
    return Number.isFinite(this.#quotaBytes)
  }

  /** Starts a new incarnation over the kept disk and opens every channel. */
  async start(): Promise<void> {
    if (this.#node !== undefined) return
    const { id, clock, rng, net, hasher, heartbeatMs, hooks, signing } = this.#options
    // No hasher: the checkers verify every stored entry once, reads need not.
    const store = new MemoryLogStore({ backing: this.backing, quotaBytes: this.#quotaBytes })
    await store.open()
    const node = new PeerNode({
      self: id,
      store,
      hasher,
      clock,
      rng: seededRng(rng.nextU32()),
      heartbeatMs,
      ...(signing === undefined ? {} : { signer: signing.signer, signatures: signing.signatures }),
      sink: {
        send(to, bytes) {
          hooks?.sent?.(id, to, bytes)
          net.send(id, to, bytes)
          return 'queued'
        },
      },
    })
    this.#store = store
    this.#node = node
    this.#incarnation += 1
    hooks?.started?.(this, node)
    net.attach(id, (from, bytes) => {
      node.receive(from, hooks?.deliver === undefined ? bytes : hooks.deliver(id, from, bytes))
    })
    for (const plan of this.channels) await node.open(plan.channel, this.#channelOptions(plan))
  }

  /** The process dies: off the network at once, then its node stops. The disk stays. */
  async crash(): Promise<void> {
    const node = this.#node
    const store = this.#store
    if (node === undefined || store === undefined) return
    this.#options.net.crash(this.id)
    this.#node = undefined
    this.#store = undefined
    this.#options.hooks?.stopping?.(this, node)
    await node.stop()
    await store.close()
  }

  /** Caps the disk `slackBytes` above what it holds now. */
  fillDisk(slackBytes: number): void {
    this.#quotaBytes = this.backing.payloadBytes() + slackBytes
    this.#store?.setQuotaBytes(this.#quotaBytes)
  }

  /** Lifts the cap, and re-opens the channels this peer withdrew from. */
  async freeDisk(): Promise<ChannelId[]> {
    this.#quotaBytes = Number.POSITIVE_INFINITY
    this.#store?.setQuotaBytes(this.#quotaBytes)
    return this.reopenWithdrawn()
  }

  /** Re-opens every channel whose runtime went idle (the control loop's job). */
  async reopenWithdrawn(): Promise<ChannelId[]> {
    const node = this.#node
    if (node === undefined) return []
    const reopened: ChannelId[] = []
    for (const plan of this.channels) {
      if (node.runtime(plan.channel)?.role !== 'idle') continue
      await node.close(plan.channel)
      await node.open(plan.channel, this.#channelOptions(plan))
      reopened.push(plan.channel)
    }
    return reopened
  }

  /** Stops for good (end of run). */
  async stop(): Promise<void> {
    await this.crash()
  }

  #channelOptions(plan: SimChannelPlan) {
    return { replicaSet: plan.replicaSet, diskPressurePolicy: plan.diskPressurePolicy }
  }
}
