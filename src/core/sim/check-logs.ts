/**
 * Invariant 2, the logs: run after every step, over every peer's disk
 * (crashed peers included) and every channel it replicates.
 *
 * 1. Each log on its own (LogMirror): dense from its first retained seq,
 *    hashes chain and match, every entry a genuine submission sealed by the
 *    peer asked, at seq == authorSeq, no payload twice.
 * 2. Prefix of the leader: whenever a replica applies a chunk (the
 *    runtime's catch-up-progress event), its new last entry must be the
 *    entry at the same seq in the log of the leader that served the chunk.
 *    Hashes chain, so that one comparison makes the replica's whole log a
 *    prefix of that leader's log: no gap, no duplicate, no reordering.
 *    (A replica may still hold a divergent suffix from an earlier leader
 *    until it pulls from the new one; invariant 3 then requires it gone.)
 * 3. A leader never loses entries while it leads: its log is not reset
 *    (skipped, truncated, evicted) between two steps at which it led.
 */
import { equals } from 'uint8arrays/equals'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { InvariantViolation } from './invariant-violation.js'
import { LogMirror } from './log-mirror.js'
import type { PayloadCatalog } from './payload-catalog.js'
import type { SimPeer } from './sim-peer.js'

/** What the log checker needs of a peer: its disk, its channels, its roles. */
export type LoggingPeer = Pick<SimPeer, 'id' | 'backing' | 'channels' | 'role'>

interface Served {
  readonly replica: PeerId
  readonly channel: ChannelId
  readonly from: PeerId
  readonly tailSeq: number
}

export interface LogCheckStats {
  advances: number
  resets: number
  /** Chunks whose application was checked against the serving leader's log. */
  prefixChecks: number
  /** Chunks that could not be checked (the logs moved again within the step). */
  prefixUnverifiable: number
}

const keyOf = (peer: PeerId, channel: ChannelId) => `${peer}|${channel}`

export class LogChecker {
  readonly stats: LogCheckStats = { advances: 0, resets: 0, prefixChecks: 0, prefixUnverifiable: 0 }
  readonly #peers: readonly LoggingPeer[]
  readonly #hasher: EntryHasher
  readonly #catalog: PayloadCatalog
  readonly #mirrors = new Map<string, LogMirror>()
  readonly #views = new Map<PeerId, MemoryLogStore>()
  readonly #served = new Map<string, Served>()
  #leading = new Set<string>()

  constructor(peers: readonly LoggingPeer[], hasher: EntryHasher, catalog: PayloadCatalog) {
    this.#peers = peers
    this.#hasher = hasher
    this.#catalog = catalog
  }

  /** Opens the checker's own read view of every peer's disk. */
  async open(): Promise<void> {
    for (const peer of this.#peers) {
      const view = new MemoryLogStore({ backing: peer.backing })
      await view.open()
      this.#views.set(peer.id, view)
      for (const plan of peer.channels) {
        this.#mirrors.set(keyOf(peer.id, plan.channel), new LogMirror(peer.id, plan.channel))
      }
    }
  }

  mirror(peer: PeerId, channel: ChannelId): LogMirror {
    const mirror = this.#mirrors.get(keyOf(peer, channel))
    if (mirror === undefined) throw new Error(`no mirror for ${peer}/${channel}`)
    return mirror
  }

  /** The runtime applied a chunk from `from`; checked at the end of the step. */
  noteServed(replica: PeerId, channel: ChannelId, from: PeerId, tailSeq: number): void {
    this.#served.set(keyOf(replica, channel), { replica, channel, from, tailSeq })
  }

  async afterStep(now: number): Promise<void> {
    const reset = new Set<string>()
    for (const mirror of this.#mirrors.values()) {
      const view = this.#views.get(mirror.peer) as MemoryLogStore
      if (mirror.isCurrent(view)) continue
      const change = await mirror.sync(view, this.#hasher, this.#catalog, now)
      if (change === 'advanced') this.stats.advances += 1
      if (change === 'reset') {
        this.stats.resets += 1
        reset.add(keyOf(mirror.peer, mirror.channel))
      }
    }
    const leading = new Set<string>()
    for (const peer of this.#peers) {
      for (const plan of peer.channels) {
        if (peer.role(plan.channel) !== 'leader') continue
        const key = keyOf(peer.id, plan.channel)
        leading.add(key)
        if (this.#leading.has(key) && reset.has(key)) {
          throw new InvariantViolation('prefix', now, `leader ${key} lost entries while leading`)
        }
      }
    }
    this.#leading = leading
    for (const served of this.#served.values()) this.#checkServed(now, served, reset)
    this.#served.clear()
  }

  #checkServed(now: number, served: Served, reset: ReadonlySet<string>): void {
    const replica = this.mirror(served.replica, served.channel)
    const leader = this.mirror(served.from, served.channel)
    const seq = replica.nextSeq - 1
    if (replica.nextSeq !== served.tailSeq || seq < replica.firstSeq) {
      this.stats.prefixUnverifiable += 1
      return
    }
    const expected = leader.hashAt(seq)
    if (expected === undefined) {
      if (reset.has(keyOf(served.from, served.channel)) || seq < leader.firstSeq) {
        this.stats.prefixUnverifiable += 1
        return
      }
      throw new InvariantViolation(
        'prefix',
        now,
        `${served.replica}/${served.channel} applied up to seq ${seq} from ${served.from}, whose log ends at ${leader.nextSeq}`,
      )
    }
    if (!equals(expected, replica.lastHash)) {
      throw new InvariantViolation(
        'prefix',
        now,
        `${served.replica}/${served.channel} is not a prefix of ${served.from}'s log at seq ${seq}`,
      )
    }
    this.stats.prefixChecks += 1
  }
}
