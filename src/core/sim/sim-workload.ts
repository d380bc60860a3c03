/**
 * Simulated clients. At random times one client picks a channel and a home
 * peer (a tab of that channel's replica set that is up) and appends one to
 * three payloads there. Any peer takes the append (offline-first writes):
 * the leader commits it at once, any other peer (a replica, a peer cut off
 * by a partition, one with no leader) acknowledges it as pending in its
 * durable outbox. Every refusal (outbox full, stopped runtime, full
 * backlog) is final for that append.
 *
 * Every attempt mints fresh payloads (see PayloadCatalog). Every append
 * promise is tracked until it settles (invariant 4); every acknowledged one
 * is kept, committed or pending, for invariant 1: it must end up exactly
 * once in the channel's final log (check-acked).
 */
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import type { Rng } from '../random/rng.js'
import { isPending } from '../replication/local-append.js'
import type { Cancel, Clock } from '../time/clock.js'
import { InvariantViolation } from './invariant-violation.js'
import type { PayloadCatalog } from './payload-catalog.js'
import type { SimPeer } from './sim-peer.js'
import type { SimChannelPlan } from './sim-scenario.js'
import type { SimTrace } from './sim-trace.js'

export interface AckedAppend {
  readonly channel: ChannelId
  /** The peer that took the append (the entries' author). */
  readonly peer: PeerId
  readonly ids: readonly number[]
  /** Where the leader put them; undefined when acknowledged as pending. */
  readonly firstSeq: Seq | undefined
  readonly at: number
}

interface PendingAppend {
  readonly channel: ChannelId
  readonly peer: PeerId
  readonly since: number
}

export interface WorkloadOptions {
  readonly clock: Clock
  readonly rng: Rng
  readonly peers: ReadonlyMap<PeerId, SimPeer>
  readonly channels: readonly SimChannelPlan[]
  readonly catalog: PayloadCatalog
  readonly trace: SimTrace
  readonly meanGapMs: number
  /** Sees each acknowledgement as it happens. */
  readonly onAck?: (append: AckedAppend) => void
}

export class ClientWorkload {
  readonly acked: AckedAppend[] = []
  readonly failed: Record<string, number> = {}
  submitted = 0
  attempts = 0
  readonly #o: WorkloadOptions
  readonly #pending = new Map<number, PendingAppend>()
  readonly #timers = new Set<Cancel>()
  #nextAttempt = 0
  #running = false

  constructor(options: WorkloadOptions) {
    this.#o = options
  }

  get pending(): number {
    return this.#pending.size
  }

  start(): void {
    this.#running = true
    this.#scheduleNext()
  }

  /** No new appends. */
  stop(): void {
    this.#running = false
    for (const cancel of this.#timers) cancel()
    this.#timers.clear()
  }

  /** Throws when an append promise has been pending longer than `limitMs`. */
  checkSettled(now: number, limitMs: number): void {
    for (const append of this.#pending.values()) {
      if (now - append.since > limitMs) {
        throw new InvariantViolation(
          'append-settles',
          now,
          `an append on ${append.peer}/${append.channel} is unsettled after ${now - append.since} ms`,
        )
      }
    }
  }

  #later(ms: number, fn: () => void): void {
    const cancel = this.#o.clock.setTimer(ms, () => {
      this.#timers.delete(cancel)
      fn()
    })
    this.#timers.add(cancel)
  }

  #scheduleNext(): void {
    const { rng, meanGapMs } = this.#o
    this.#later(rng.int(1, 2 * meanGapMs), () => {
      if (!this.#running) return
      this.#submitRandom()
      this.#scheduleNext()
    })
  }

  #submitRandom(): void {
    const { rng, channels, peers } = this.#o
    const plan = channels[rng.int(0, channels.length - 1)] as SimChannelPlan
    const homes = plan.replicaSet.filter((id) => peers.get(id)?.isUp)
    if (homes.length === 0) {
      this.#fail('no-peer-up')
      return
    }
    this.submitted += 1
    const home = homes[rng.int(0, homes.length - 1)] as PeerId
    this.#attempt(plan, home, rng.int(1, 3))
  }

  #attempt(plan: SimChannelPlan, target: PeerId, count: number) {
    const { clock, catalog, trace } = this.#o
    const node = this.#o.peers.get(target)?.node
    if (node === undefined) {
      this.#fail('no-peer-up')
      return
    }
    this.attempts += 1
    const submissions = Array.from({ length: count }, () => catalog.mint(plan.channel, target))
    const key = this.#nextAttempt++
    this.#pending.set(key, { channel: plan.channel, peer: target, since: clock.now() })
    node
      .append(
        plan.channel,
        submissions.map((s) => s.payload),
      )
      .then(
        (outcome) => {
          this.#pending.delete(key)
          const ids = submissions.map((s) => s.id)
          const firstSeq = isPending(outcome) ? undefined : outcome.firstSeq
          const append = { channel: plan.channel, peer: target, ids, firstSeq, at: clock.now() }
          this.acked.push(append)
          this.#o.onAck?.(append)
          trace.note(
            clock.now(),
            isPending(outcome)
              ? `ack pending ${plan.channel} ${target} #${outcome.pending.authorSeq}+${count}`
              : `ack ${plan.channel} ${target} seq ${outcome.firstSeq}+${count}`,
          )
        },
        (error: unknown) => {
          this.#pending.delete(key)
          this.#fail(error instanceof Error && 'code' in error ? String(error.code) : 'error')
        },
      )
  }

  #fail(reason: string, n = 1): void {
    this.failed[reason] = (this.failed[reason] ?? 0) + n
  }
}
