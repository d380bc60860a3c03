/**
 * Simulated clients. At random times one client picks a channel and a home
 * peer (a tab of that channel's replica set that is up) and appends one to
 * three payloads there. Only leaders append (leader-only writes, for now),
 * so on NotLeaderError the client does what a real one would: it asks the
 * peer it reached whom it follows and retries there, or, with no answer,
 * tries another reachable member after a pause; it gives up after
 * MAX_ATTEMPTS. Every other refusal (full disk, stopped runtime, full
 * backlog) is final for that append.
 *
 * Every attempt mints fresh payloads (see PayloadCatalog). Every append
 * promise is tracked until it settles (invariant 4); every acknowledged one
 * is kept with the seqs its leader gave it, for the lost-acknowledged
 * figure (invariant 1, leader-only form).
 */
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import type { Rng } from '../random/rng.js'
import { NotLeaderError } from '../replication/replication-errors.js'
import type { Cancel, Clock } from '../time/clock.js'
import { InvariantViolation } from './invariant-violation.js'
import type { PayloadCatalog } from './payload-catalog.js'
import type { SimNetwork } from './sim-network.js'
import type { SimPeer } from './sim-peer.js'
import type { SimChannelPlan } from './sim-scenario.js'
import type { SimTrace } from './sim-trace.js'

export const MAX_ATTEMPTS = 5

export interface AckedAppend {
  readonly channel: ChannelId
  readonly leader: PeerId
  readonly ids: readonly number[]
  readonly firstSeq: Seq
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
  readonly net: SimNetwork
  readonly peers: ReadonlyMap<PeerId, SimPeer>
  readonly channels: readonly SimChannelPlan[]
  readonly catalog: PayloadCatalog
  readonly trace: SimTrace
  readonly meanGapMs: number
  readonly retryMs: number
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
  #waitingRetries = 0
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

  /** No new appends; retries still waiting are abandoned (counted as 'abandoned'). */
  stop(): void {
    this.#running = false
    for (const cancel of this.#timers) cancel()
    this.#timers.clear()
    if (this.#waitingRetries > 0) this.#fail('abandoned', this.#waitingRetries)
    this.#waitingRetries = 0
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
    this.#attempt(plan, home, home, rng.int(1, 3), 1)
  }

  #attempt(plan: SimChannelPlan, home: PeerId, target: PeerId, count: number, attempt: number) {
    const { clock, catalog, trace } = this.#o
    const node = this.#o.peers.get(target)?.node
    if (node === undefined) {
      this.#retry(plan, home, undefined, count, attempt)
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
        (result) => {
          this.#pending.delete(key)
          const ids = submissions.map((s) => s.id)
          this.acked.push({
            channel: plan.channel,
            leader: target,
            ids,
            firstSeq: result.firstSeq,
            at: clock.now(),
          })
          trace.note(clock.now(), `ack ${plan.channel} ${target} seq ${result.firstSeq}+${count}`)
        },
        (error: unknown) => {
          this.#pending.delete(key)
          if (error instanceof NotLeaderError) {
            const hint = node.runtime(plan.channel)?.believedLeader
            this.#retry(plan, home, hint === target ? undefined : hint, count, attempt)
            return
          }
          this.#fail(error instanceof Error && 'code' in error ? String(error.code) : 'error')
        },
      )
  }

  #retry(
    plan: SimChannelPlan,
    home: PeerId,
    hint: PeerId | undefined,
    count: number,
    attempt: number,
  ): void {
    if (attempt >= MAX_ATTEMPTS || !this.#running) {
      this.#fail('no-leader')
      return
    }
    const { net, peers, rng, retryMs } = this.#o
    const reachable = (id: PeerId) => peers.get(id)?.isUp === true && net.canReach(home, id)
    let next = hint !== undefined && reachable(hint) ? hint : undefined
    // Without a hint, any other reachable member might lead; ask after a pause.
    if (next === undefined) {
      const others = plan.replicaSet.filter(reachable)
      if (others.length === 0) {
        this.#fail('no-peer-reachable')
        return
      }
      next = others[rng.int(0, others.length - 1)] as PeerId
    }
    const target = next
    this.#waitingRetries += 1
    this.#later(hint === target ? 1 : retryMs, () => {
      this.#waitingRetries -= 1
      this.#attempt(plan, home, target, count, attempt + 1)
    })
  }

  #fail(reason: string, n = 1): void {
    this.failed[reason] = (this.failed[reason] ?? 0) + n
  }
}
