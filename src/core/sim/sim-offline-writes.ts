/**
 * What the offline-writes scenarios did, observed from the workload's
 * acknowledgements and the faults: appends taken as pending, appends taken
 * by a peer cut off from every other member of the channel (truly
 * offline), and partitions during which writes were acknowledged on two
 * sides that could not reach each other (two leaders, or a leader and an
 * outbox, each taking writes). The figures let a run of many seeds show
 * these cases happened (`npm run test:sim` counts the seeds with each).
 */
import type { PeerId } from '../log/ids.js'
import type { SimNetwork } from './sim-network.js'
import type { SimChannelPlan } from './sim-scenario.js'
import type { AckedAppend } from './sim-workload.js'

export interface OfflineWriteCounts {
  pendingAcks: number
  offlineAppends: number
  partitionsWithWritesBothSides: number
}

export class OfflineWriteObserver {
  readonly counts: OfflineWriteCounts = {
    pendingAcks: 0,
    offlineAppends: 0,
    partitionsWithWritesBothSides: 0,
  }
  readonly #net: SimNetwork
  readonly #plans: ReadonlyMap<string, SimChannelPlan>
  #episode = -1
  #writers = new Set<PeerId>()
  #bothSides = false

  constructor(net: SimNetwork, channels: readonly SimChannelPlan[]) {
    this.#net = net
    this.#plans = new Map(channels.map((c) => [c.channel, c]))
  }

  /** The workload acknowledged `append` just now. */
  onAck(append: AckedAppend): void {
    const net = this.#net
    if (append.firstSeq === undefined) this.counts.pendingAcks += 1
    const members = this.#plans.get(append.channel)?.replicaSet ?? []
    const alone = members.every((m) => m === append.peer || !net.canReach(append.peer, m))
    if (alone) this.counts.offlineAppends += 1
    if (!net.isPartitioned) return
    if (net.partitionEpoch !== this.#episode) {
      this.#episode = net.partitionEpoch
      this.#writers = new Set()
      this.#bothSides = false
    }
    if (!this.#bothSides && [...this.#writers].some((w) => !net.canReach(w, append.peer))) {
      this.#bothSides = true
      this.counts.partitionsWithWritesBothSides += 1
    }
    this.#writers.add(append.peer)
  }
}
