/**
 * One channel's role and everything that follows a role change. Every
 * change goes through `transitionTo(target, signal)`, which checks the
 * state machine, switches the role at once (synchronously, before the
 * returned promise settles), counts it, emits `role-changed`, and then
 * announces or withdraws this peer as a holder of the channel's chain.
 *
 * Announcements run one after another in transition order, so a slow
 * withdraw can never land after the announce that followed it.
 */
import { TimeoutError } from '../errors.js'
import { TypedEventTarget } from '../events/typed-event-target.js'
import type { ChannelId, Seq } from '../log/ids.js'
import type { Clock } from '../time/clock.js'
import type { ReplicaRole } from './messages.js'
import { ReplicationMetrics } from './metrics.js'
import { AnnouncementFailedError } from './replication-errors.js'
import { checkTransition, type TransitionSignal } from './transition-rules.js'

/**
 * Tells the mesh which peers hold a channel's chain, so failover can find
 * the freshest holder. Implementations must settle; the coordinator gives
 * up on one after `announceTimeoutMs` when it has a clock.
 */
export interface ChainAnnouncer {
  /** This peer holds the channel (as leader or replica) up to `tipSeq`. */
  announce(channel: ChannelId, tipSeq: Seq): Promise<void>
  /** This peer no longer holds the channel for the mesh. */
  withdraw(channel: ChannelId): Promise<void>
}

export interface RoleChange {
  readonly from: ReplicaRole
  readonly to: ReplicaRole
  readonly signal: TransitionSignal
}

export interface CoordinatorEvents extends Record<string, unknown> {
  'role-changed': RoleChange
}

export interface ReplicationCoordinatorOptions {
  readonly channel: ChannelId
  readonly announcer?: ChainAnnouncer
  readonly metrics?: ReplicationMetrics
  /** Bounds each announcement when given. */
  readonly clock?: Clock
  readonly announceTimeoutMs?: number
}

export const ANNOUNCE_TIMEOUT_MS_DEFAULT = 10_000

export class ReplicationCoordinator extends TypedEventTarget<CoordinatorEvents> {
  readonly channel: ChannelId
  readonly metrics: ReplicationMetrics
  readonly #announcer: ChainAnnouncer | undefined
  readonly #clock: Clock | undefined
  readonly #announceTimeoutMs: number
  #role: ReplicaRole = 'idle'
  #tailSeq = 0 as Seq
  #announcements: Promise<void> = Promise.resolve()

  constructor(options: ReplicationCoordinatorOptions) {
    super()
    this.channel = options.channel
    this.metrics = options.metrics ?? new ReplicationMetrics()
    this.#announcer = options.announcer
    this.#clock = options.clock
    this.#announceTimeoutMs = options.announceTimeoutMs ?? ANNOUNCE_TIMEOUT_MS_DEFAULT
  }

  get role(): ReplicaRole {
    return this.#role
  }

  /** The tail this peer advertises as holder of the chain (never moves back). */
  get tailSeq(): Seq {
    return this.#tailSeq
  }

  recordTailSeq(seq: Seq): void {
    if (seq > this.#tailSeq) this.#tailSeq = seq
  }

  /**
   * Moves to `target`. Rejects with InvalidTransitionError or
   * TransitionSignalError (role unchanged), or with AnnouncementFailedError
   * (role changed, announcement missing).
   */
  transitionTo(target: ReplicaRole, signal: TransitionSignal): Promise<void> {
    const from = this.#role
    try {
      checkTransition(from, target, signal)
    } catch (error) {
      this.metrics.add('invalidTransitionsTotal')
      return Promise.reject(error)
    }
    // seed 001: a redundant channel-close on an idle peer is a harmless no-op.
    if (from === target) return Promise.resolve()
    this.#role = target
    this.metrics.recordTransition(signal)
    if (from === 'leader' || target === 'leader') this.metrics.add('leaderChangesTotal')
    if (signal === 'missed-heartbeats') this.metrics.add('electionThrashTotal')
    this.emit('role-changed', { from, to: target, signal })
    return this.#announce(target, signal)
  }

  #announce(target: ReplicaRole, signal: TransitionSignal): Promise<void> {
    const announcer = this.#announcer
    if (announcer === undefined || target === 'candidate') return Promise.resolve()
    const tip = this.#tailSeq
    const effect = () =>
      this.#bounded(
        target === 'idle'
          ? announcer.withdraw(this.channel)
          : announcer.announce(this.channel, tip),
      )
    const run = this.#announcements.then(effect)
    this.#announcements = run.catch(() => undefined)
    return run.catch((cause: unknown) => {
      this.metrics.add('announcementFailuresTotal')
      throw new AnnouncementFailedError(`role changed to ${target}, announcement failed`, {
        cause,
        details: { channel: this.channel, role: target, signal },
      })
    })
  }

  #bounded(work: Promise<void>): Promise<void> {
    const clock = this.#clock
    if (clock === undefined) return work
    return new Promise((resolve, reject) => {
      const cancel = clock.setTimer(this.#announceTimeoutMs, () =>
        reject(new TimeoutError(`announcement took over ${this.#announceTimeoutMs} ms`)),
      )
      work.then(
        () => {
          cancel()
          resolve()
        },
        (error: unknown) => {
          cancel()
          reject(error)
        },
      )
    })
  }
}
