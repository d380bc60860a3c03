/**
 * Fault injection for the fault phase. At random times it takes one action:
 *
 * - partition the peers into two or three random groups, or isolate the
 *   current leader of a random channel (alone, or with one other peer);
 * - heal the partition;
 * - crash an up peer, restarting it (same disk) after a random downtime;
 * - fill a peer's disk (a few bytes of slack), freeing it later;
 * - set lossy / duplicating / reordering links, or clean them.
 *
 * `healAll` ends the phase: no partition, clean links, every crashed peer
 * restarted, every disk freed (its withdrawn channels re-opened).
 * Everything random comes from the injector's own Rng.
 */
import type { PeerId } from '../log/ids.js'
import type { Rng } from '../random/rng.js'
import type { Cancel, Clock } from '../time/clock.js'
import type { SimNetwork } from './sim-network.js'
import type { SimPeer } from './sim-peer.js'
import type { SimChannelPlan } from './sim-scenario.js'
import type { SimTrace } from './sim-trace.js'

export interface FaultCounts {
  partitions: number
  /** Crashes of a peer with writes in its outbox (forwarding, or waiting to). */
  crashesMidForward: number
  /** Crashes of a peer that led some channel. */
  leaderCrashes: number
  leaderIsolations: number
  heals: number
  crashes: number
  restarts: number
  diskFills: number
  diskFrees: number
  reopenedChannels: number
  linkFaultChanges: number
}

export interface FaultInjectorOptions {
  readonly clock: Clock
  readonly rng: Rng
  readonly net: SimNetwork
  readonly peers: readonly SimPeer[]
  readonly channels: readonly SimChannelPlan[]
  readonly trace: SimTrace
  readonly heartbeatMs: number
  readonly meanGapMs: number
  /** Reports a failure inside an asynchronous fault action (a simulator error). */
  readonly onError: (error: unknown) => void
}

export class FaultInjector {
  readonly counts: FaultCounts = {
    partitions: 0,
    crashesMidForward: 0,
    leaderCrashes: 0,
    leaderIsolations: 0,
    heals: 0,
    crashes: 0,
    restarts: 0,
    diskFills: 0,
    diskFrees: 0,
    reopenedChannels: 0,
    linkFaultChanges: 0,
  }
  readonly #o: FaultInjectorOptions
  readonly #timers = new Set<Cancel>()
  #running = false

  constructor(options: FaultInjectorOptions) {
    this.#o = options
  }

  start(): void {
    this.#running = true
    this.#scheduleNext()
  }

  /** No more fault actions (faults in force stay). */
  stop(): void {
    this.#running = false
    for (const cancel of this.#timers) cancel()
    this.#timers.clear()
  }

  /** Lifts every fault at once; resolves when crashed peers are back and disks freed. */
  async healAll(): Promise<void> {
    this.stop()
    const { net, peers } = this.#o
    net.partition([])
    net.setFaults({})
    this.#note('heal-all')
    for (const peer of peers) {
      if (!peer.isUp) await this.#restart(peer)
      if (peer.diskFull) await this.#free(peer)
      this.counts.reopenedChannels += (await peer.reopenWithdrawn()).length
    }
  }

  #note(text: string): void {
    this.#o.trace.note(this.#o.clock.now(), `fault ${text}`)
  }

  #later(ms: number, fn: () => Promise<void> | void): void {
    const cancel = this.#o.clock.setTimer(ms, () => {
      this.#timers.delete(cancel)
      if (!this.#running) return
      Promise.resolve()
        .then(fn)
        .catch((error: unknown) => this.#o.onError(error))
    })
    this.#timers.add(cancel)
  }

  #scheduleNext(): void {
    this.#later(this.#o.rng.int(1, 2 * this.#o.meanGapMs), async () => {
      await this.#act()
      this.#scheduleNext()
    })
  }

  async #act(): Promise<void> {
    const { rng } = this.#o
    const roll = rng.nextFloat()
    if (roll < 0.2) this.#partitionRandom()
    else if (roll < 0.35) this.#isolateLeader()
    else if (roll < 0.5) this.#healPartition()
    else if (roll < 0.65) await this.#crashOne()
    else if (roll < 0.75) this.#fillOne()
    else if (roll < 0.9) this.#setLinkFaults()
    else this.#cleanLinks()
  }

  #partitionRandom(): void {
    const { rng, net, peers } = this.#o
    const groupCount = rng.int(2, 3)
    const groups: PeerId[][] = Array.from({ length: groupCount }, () => [])
    for (const peer of peers) groups[rng.int(0, groupCount - 1)]?.push(peer.id)
    net.partition(groups)
    this.counts.partitions += 1
    this.#note(`partition ${groups.map((g) => `[${g.join(',')}]`).join(' ')}`)
  }

  #isolateLeader(): void {
    const { rng, net, peers, channels } = this.#o
    const plan = channels[rng.int(0, channels.length - 1)] as SimChannelPlan
    const leader = peers.find((p) => p.role(plan.channel) === 'leader')
    if (leader === undefined) {
      this.#partitionRandom()
      return
    }
    const others = peers.filter((p) => p !== leader).map((p) => p.id)
    const companion = rng.nextFloat() < 0.3 ? others.splice(rng.int(0, others.length - 1), 1) : []
    net.partition([[leader.id, ...companion], others])
    this.counts.partitions += 1
    this.counts.leaderIsolations += 1
    this.#note(`isolate leader ${leader.id} of ${plan.channel} with [${companion.join(',')}]`)
  }

  #healPartition(): void {
    this.#o.net.partition([])
    this.counts.heals += 1
    this.#note('heal partition')
  }

  async #crashOne(): Promise<void> {
    const { rng, peers, heartbeatMs } = this.#o
    const up = peers.filter((p) => p.isUp)
    const victim = up[rng.int(0, up.length - 1)]
    if (victim === undefined) return
    this.counts.crashes += 1
    const forwarding = victim.channels.some((c) => victim.outboxSize(c.channel) > 0)
    const leading = victim.channels.some((c) => victim.role(c.channel) === 'leader')
    if (forwarding) this.counts.crashesMidForward += 1
    if (leading) this.counts.leaderCrashes += 1
    this.#note(
      `crash ${victim.id}${leading ? ' (leader)' : ''}${forwarding ? ' (mid-forward)' : ''}`,
    )
    await victim.crash()
    this.#later(rng.int(2, 20) * heartbeatMs, () => this.#restart(victim))
  }

  async #restart(peer: SimPeer): Promise<void> {
    if (peer.isUp) return
    this.counts.restarts += 1
    this.#note(`restart ${peer.id}`)
    await peer.start()
  }

  #fillOne(): void {
    const { rng, peers, heartbeatMs } = this.#o
    const candidates = peers.filter((p) => p.isUp && !p.diskFull)
    const peer = candidates[rng.int(0, candidates.length - 1)]
    if (peer === undefined) return
    const slack = rng.int(0, 200)
    peer.fillDisk(slack)
    this.counts.diskFills += 1
    this.#note(`disk full ${peer.id} (+${slack} bytes)`)
    this.#later(rng.int(5, 30) * heartbeatMs, () => this.#free(peer))
  }

  async #free(peer: SimPeer): Promise<void> {
    const reopened = await peer.freeDisk()
    this.counts.diskFrees += 1
    this.counts.reopenedChannels += reopened.length
    this.#note(`disk freed ${peer.id}, reopened [${reopened.join(',')}]`)
  }

  #setLinkFaults(): void {
    const { rng, net, heartbeatMs } = this.#o
    const faults = {
      loss: rng.nextFloat() * 0.3,
      duplicate: rng.nextFloat() * 0.2,
      reorder: rng.nextFloat() * 0.3,
      reorderMs: rng.int(0, heartbeatMs),
    }
    net.setFaults(faults)
    this.counts.linkFaultChanges += 1
    const show = (x: number) => x.toFixed(2)
    this.#note(
      `links loss ${show(faults.loss)} dup ${show(faults.duplicate)} reorder ${show(faults.reorder)}/${faults.reorderMs}ms`,
    )
  }

  #cleanLinks(): void {
    this.#o.net.setFaults({})
    this.counts.linkFaultChanges += 1
    this.#note('links clean')
  }
}
