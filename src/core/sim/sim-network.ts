/**
 * A simulated network between peers, driven by a Clock and an Rng so a seed
 * replays a run exactly. Each frame is delivered after a random latency, or
 * lost, or delivered twice; random extra delay reorders frames; partitions
 * drop every frame between groups; a crashed peer neither sends nor receives,
 * and frames in flight to it when it crashed are lost even if it is back by
 * the time they are due (its connections were reset). Frames are bytes: the
 * wire codec runs on every hop, as in production.
 */
import type { PeerId } from '../log/ids.js'
import type { Rng } from '../random/rng.js'
import type { Clock } from '../time/clock.js'

export interface LinkFaults {
  /** Probability a frame is dropped. */
  readonly loss: number
  /** Probability a frame is delivered twice. */
  readonly duplicate: number
  /** Probability a frame gets extra delay (up to `reorderMs`), overtaking later ones. */
  readonly reorder: number
  readonly reorderMs: number
}

export interface SimNetworkOptions {
  readonly clock: Clock
  readonly rng: Rng
  readonly minLatencyMs?: number
  readonly maxLatencyMs?: number
  readonly faults?: Partial<LinkFaults>
}

export type FrameHandler = (from: PeerId, bytes: Uint8Array) => void

export interface NetworkCounters {
  sent: number
  delivered: number
  lost: number
  duplicated: number
  partitioned: number
  /** Frames whose sender or receiver was down when sent or when due. */
  peerDown: number
  bytes: number
}

export const NO_FAULTS: LinkFaults = { loss: 0, duplicate: 0, reorder: 0, reorderMs: 0 }

export class SimNetwork {
  readonly #clock: Clock
  readonly #rng: Rng
  readonly #minLatency: number
  readonly #maxLatency: number
  #faults: LinkFaults
  readonly #handlers = new Map<PeerId, FrameHandler>()
  readonly #down = new Set<PeerId>()
  /** Bumped at every crash: a frame addressed to an older epoch is lost. */
  readonly #epochs = new Map<PeerId, number>()
  /** Peer → partition group; peers in different groups cannot talk. */
  #groups = new Map<PeerId, number>()
  #partitionEpoch = 0
  readonly counters: NetworkCounters = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    partitioned: 0,
    peerDown: 0,
    bytes: 0,
  }

  constructor(options: SimNetworkOptions) {
    this.#clock = options.clock
    this.#rng = options.rng
    this.#minLatency = options.minLatencyMs ?? 1
    this.#maxLatency = options.maxLatencyMs ?? 10
    this.#faults = { ...NO_FAULTS, ...options.faults }
  }

  /** Attaches (or replaces, after a restart) a peer's inbound handler. */
  attach(peer: PeerId, handler: FrameHandler): void {
    this.#handlers.set(peer, handler)
    this.#down.delete(peer)
  }

  /** The peer is down: frames to and from it vanish until it is attached again. */
  crash(peer: PeerId): void {
    this.#down.add(peer)
    this.#epochs.set(peer, this.#epoch(peer) + 1)
  }

  isUp(peer: PeerId): boolean {
    return this.#handlers.has(peer) && !this.#down.has(peer)
  }

  /** The link faults in force now. */
  get faults(): LinkFaults {
    return this.#faults
  }

  /** Longest a frame can take from send to delivery under the faults in force. */
  get maxDelayMs(): number {
    return this.#maxLatency + this.#faults.reorderMs
  }

  setFaults(faults: Partial<LinkFaults>): void {
    this.#faults = { ...NO_FAULTS, ...faults }
  }

  /** Splits peers into groups that cannot reach each other; peers not listed form group 0. */
  partition(groups: readonly (readonly PeerId[])[]): void {
    this.#partitionEpoch += 1
    this.#groups = new Map()
    groups.forEach((group, index) => {
      for (const peer of group) this.#groups.set(peer, index + 1)
    })
  }

  /** True while some peers cannot reach others. */
  get isPartitioned(): boolean {
    const groups = new Set<number>()
    for (const peer of this.#handlers.keys()) groups.add(this.#groups.get(peer) ?? 0)
    return groups.size > 1
  }

  /** Bumped by every `partition` call (a heal too): tells one partition from the next. */
  get partitionEpoch(): number {
    return this.#partitionEpoch
  }

  heal(): void {
    this.#partitionEpoch += 1
    this.#groups = new Map()
    this.#faults = NO_FAULTS
  }

  canReach(from: PeerId, to: PeerId): boolean {
    return (this.#groups.get(from) ?? 0) === (this.#groups.get(to) ?? 0)
  }

  /** Queues `bytes` from `from` to `to`; never throws (loss is silent, as on a real link). */
  send(from: PeerId, to: PeerId, bytes: Uint8Array): void {
    this.counters.sent += 1
    this.counters.bytes += bytes.byteLength
    if (this.#down.has(from)) {
      this.counters.peerDown += 1
      return
    }
    if (!this.canReach(from, to)) {
      this.counters.partitioned += 1
      return
    }
    if (this.#rng.nextFloat() < this.#faults.loss) {
      this.counters.lost += 1
      return
    }
    this.#schedule(from, to, bytes)
    if (this.#rng.nextFloat() < this.#faults.duplicate) {
      this.counters.duplicated += 1
      this.#schedule(from, to, bytes)
    }
  }

  #epoch(peer: PeerId): number {
    return this.#epochs.get(peer) ?? 0
  }

  #schedule(from: PeerId, to: PeerId, bytes: Uint8Array): void {
    const epoch = this.#epoch(to)
    let delay = this.#rng.int(this.#minLatency, this.#maxLatency)
    if (this.#rng.nextFloat() < this.#faults.reorder)
      delay += this.#rng.int(0, this.#faults.reorderMs)
    this.#clock.setTimer(delay, () => {
      const handler = this.#handlers.get(to)
      // A crash or partition that happens while a frame is in flight drops it too.
      if (handler === undefined || this.#down.has(to) || this.#epoch(to) !== epoch) {
        this.counters.peerDown += 1
        return
      }
      if (!this.canReach(from, to)) {
        this.counters.partitioned += 1
        return
      }
      this.counters.delivered += 1
      handler(from, bytes)
    })
  }
}
