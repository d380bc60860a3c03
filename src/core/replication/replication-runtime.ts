/**
 * One replicated channel's runtime (seed 001): a two-lane inbox and a
 * heartbeat timer feeding a single drain loop that handles one job at a
 * time, so handlers never interleave (runtime-jobs.ts says in what order,
 * run-job.ts what each job does).
 * The loop runs only while there is work: it is scheduled on a microtask
 * when work arrives and on the injected clock for ticks; it never polls.
 *
 * A runtime that signs signs its own appends before they reach the loop
 * (own-write-signing), so a long signing step never holds a heartbeat back.
 *
 * The transport may say a member became unreachable (its link closed):
 * that is queued like an event and handled ahead of appends. Its heartbeat
 * state is dropped, and if it was the followed leader, a tick runs at once,
 * so failover starts now instead of after the miss window. The replica set
 * may also change in place (`setReplicaSet`), keeping role and leader.
 *
 * Lifecycle: `start()` arms the timer; `cancel()` queues Shutdown on the
 * priority lane, waits for the loop to move the coordinator to idle and
 * end, and resolves. If the priority lane is full it aborts instead
 * (queued events are dropped, the role still goes idle); if a handler is
 * stuck past `cancelTimeoutMs` it gives up on it, and the context refuses
 * any write or send the handler attempts later. Both are idempotent.
 */
import { InvalidArgumentError } from '../errors.js'
import { TypedEventTarget } from '../events/typed-event-target.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'
import type { Cancel } from '../time/clock.js'
import type { AppendRequest } from './append-group.js'
import { ReplicationCoordinator } from './coordinator.js'
import type { Inbound } from './inbound.js'
import type { PushResult } from './inbox.js'
import type { HandoffStart } from './leader-handoff.js'
import type { AppendOutcome } from './local-append.js'
import type { ReplicaRole } from './messages.js'
import { OwnWriteSigning } from './own-write-signing.js'
import { InboxFullError, RuntimeStoppedError } from './replication-errors.js'
import { runJob } from './run-job.js'
import {
  createRuntimeContext,
  type RuntimeContext,
  type RuntimeContextOptions,
} from './runtime-context.js'
import type { ReplicationRuntimeEvents } from './runtime-events.js'
import { RuntimeJobs } from './runtime-jobs.js'
import { type ReplicationRuntimeSnapshot, runtimeSnapshot } from './runtime-snapshot.js'
import { TAIL_NOTICE_MIN_INTERVAL_MS_DEFAULT, TailNoticeScheduler } from './tail-notice.js'

export const APPEND_BACKLOG_DEFAULT = 64
export const CANCEL_TIMEOUT_MS_DEFAULT = 5_000

export interface ReplicationRuntimeOptions
  extends Omit<RuntimeContextOptions, 'coordinator' | 'events' | 'isHalted' | 'rttLookup'> {
  /** The channel's coordinator; a fresh idle one by default. */
  readonly coordinator?: ReplicationCoordinator
  readonly rttLookup?: RuntimeContextOptions['rttLookup']
  readonly inboxCapacity?: number
  readonly priorityInboxCapacity?: number
  /** Local appends waiting for the loop; more are refused. */
  readonly appendBacklog?: number
  readonly tailNoticeMinIntervalMs?: number
  readonly cancelTimeoutMs?: number
}

type Phase = 'new' | 'running' | 'stopping' | 'stopped'

export class ReplicationRuntime extends TypedEventTarget<ReplicationRuntimeEvents> {
  readonly channel: ChannelId
  readonly self: PeerId
  readonly coordinator: ReplicationCoordinator
  readonly #ctx: RuntimeContext
  readonly #jobs: RuntimeJobs
  /** Signs own writes before they reach the loop; unset when this runtime does not sign. */
  readonly #signing: OwnWriteSigning<AppendRequest> | undefined
  readonly #notices: TailNoticeScheduler
  readonly #cancelTimeoutMs: number
  readonly #offRoleChanged: () => void
  readonly #loopEnded: Promise<void>
  #endLoopSignal: () => void = () => undefined
  #phase: Phase = 'new'
  #cancelTick: Cancel | undefined
  #nextTickAt = 0
  #draining = false
  #abort = false
  #halted = false
  #graceful = false
  #cancelling: Promise<void> | undefined
  #followed: PeerId | undefined
  readonly #advance = <T>(step: () => Promise<T>): Promise<T> => this.#advancing(step)

  constructor(options: ReplicationRuntimeOptions) {
    super()
    this.channel = options.channel
    this.self = options.self
    this.coordinator =
      options.coordinator ??
      new ReplicationCoordinator({ channel: options.channel, clock: options.clock })
    this.#ctx = createRuntimeContext({
      ...options,
      rttLookup: options.rttLookup ?? (() => undefined),
      coordinator: this.coordinator,
      events: this,
      isHalted: () => this.#halted,
    })
    const appendBacklog = options.appendBacklog ?? APPEND_BACKLOG_DEFAULT
    this.#jobs = new RuntimeJobs({
      appendBacklog,
      inboxCapacity: options.inboxCapacity,
      priorityInboxCapacity: options.priorityInboxCapacity,
    })
    this.#signing =
      this.#ctx.signer === undefined
        ? undefined
        : new OwnWriteSigning<AppendRequest>({
            ctx: this.#ctx,
            capacity: appendBacklog,
            readNextAuthorSeq: () => this.#readNextAuthorSeq(),
            onSigned: ({ request, writes, settle }) => this.#queueSigned(request, writes, settle),
          })
    this.#cancelTimeoutMs = options.cancelTimeoutMs ?? CANCEL_TIMEOUT_MS_DEFAULT
    this.#notices = new TailNoticeScheduler(
      options.clock,
      options.tailNoticeMinIntervalMs ??
        Math.min(TAIL_NOTICE_MIN_INTERVAL_MS_DEFAULT, options.heartbeatMs),
      () => {
        this.#jobs.markDue('notice')
        this.#schedule()
      },
    )
    this.#loopEnded = new Promise((resolve) => {
      this.#endLoopSignal = resolve
    })
    this.#offRoleChanged = this.coordinator.on('role-changed', (event) => {
      // A fresh replica starts its leaderless window, so a set with no
      // leader at all still elects one.
      if (event.detail.to === 'replica') this.#ctx.tracker.markLeaderless(this.#ctx.clock.now())
      // What a former term's answers reached says nothing of this one's log.
      this.#ctx.served.forget()
      this.emit('role-changed', event.detail)
    })
  }

  get role(): ReplicaRole {
    return this.coordinator.role
  }

  /** The peer this runtime follows as leader, if any. */
  get believedLeader(): PeerId | undefined {
    return this.#ctx.tracker.believedLeader
  }

  /** When this runtime last heard from `peer` (clock ms); undefined if never, or forgotten. */
  lastHeardFrom(peer: PeerId): number | undefined {
    return this.#ctx.tracker.peerState(peer)?.lastSeen
  }

  /** True once the loop has ended (or been given up on) and will do nothing more. */
  get isStopped(): boolean {
    return this.#phase === 'stopped'
  }

  start(): void {
    if (this.#phase !== 'new') return
    this.#phase = 'running'
    const now = this.#ctx.clock.now()
    if (this.coordinator.role === 'replica') this.#ctx.tracker.markLeaderless(now)
    this.#armTick(now + this.#ctx.heartbeatMs)
    this.#schedule()
  }

  /**
   * Queues an inbound event without waiting: 'queued', or 'full' / 'closed'
   * (counted; the caller still holds the event).
   */
  tryDispatch(event: Inbound): PushResult {
    const result = this.#jobs.inbox.tryPush(event)
    if (result === 'queued') {
      this.#noteLeaderHeard(event)
      this.#schedule()
    } else this.#ctx.drops.record(result === 'full' ? 'inbox-full' : 'stopped')
    return result
  }

  // The loop may be deep in a long step (a large chunk's signatures) while
  // the leader's heartbeats queue behind it, and a due tick is served before
  // them: the leader's liveness is noted on arrival, not when handled.
  #noteLeaderHeard(event: Inbound): void {
    if (
      event.kind === 'heartbeat' &&
      event.message.channelId === this.channel &&
      event.message.role === 'leader'
    ) {
      this.#ctx.tracker.leaderHeard(event.from, this.#ctx.clock.now())
    }
  }

  /** Like `tryDispatch`, as a promise that rejects when the event was not queued. */
  dispatch(event: Inbound): Promise<void> {
    const result = this.tryDispatch(event)
    if (result === 'queued') return Promise.resolve()
    return Promise.reject(
      result === 'full'
        ? new InboxFullError('the runtime inbox is full', { details: { channel: this.channel } })
        : this.#stoppedError(),
    )
  }

  /**
   * The transport lost its link to `peer`: it is unreachable now. Ignored
   * for non-members and once stopping.
   */
  peerUnreachable(peer: PeerId): void {
    if (this.#phase !== 'running' || peer === this.self || !this.#ctx.members.has(peer)) return
    this.#jobs.unreachable.add(peer)
    this.#schedule()
  }

  /**
   * Replaces the replica set without restarting: role, leader belief and
   * log stay. Peers no longer in the set are forgotten and their frames
   * dropped from now on. The set must include this peer.
   */
  setReplicaSet(replicaSet: readonly PeerId[]): void {
    if (!replicaSet.includes(this.self)) {
      throw new InvalidArgumentError('the replica set must include this peer', {
        details: { channel: this.channel, self: this.self, replicaSet: replicaSet.length },
      })
    }
    const next = new Set(replicaSet)
    for (const peer of this.#ctx.members) {
      if (!next.has(peer)) this.#jobs.unreachable.add(peer)
    }
    this.#ctx.replicaSet = [...replicaSet]
    this.#ctx.members = next
    this.#schedule()
  }

  /**
   * Appends `payloads` (see local-append): on the leader, committed at once
   * (`{ firstSeq, nextSeq }`); anywhere else, or behind writes already
   * waiting, durably queued in the outbox (`{ pending, count }`) and
   * delivered to a leader from there ('writes-committed' follows).
   */
  append(payloads: readonly Uint8Array[]): Promise<AppendOutcome> {
    const details = { channel: this.channel }
    if (this.#phase === 'stopping' || this.#phase === 'stopped') {
      return Promise.reject(this.#stoppedError())
    }
    return new Promise((resolve, reject) => {
      const request = { payloads: [...payloads], resolve, reject }
      if (this.#signing !== undefined) {
        if (!this.#signing.tryPush(request)) {
          reject(new InboxFullError('too many appends are waiting', { details }))
        }
        return
      }
      if (!this.#jobs.appends.tryPush(request)) {
        reject(new InboxFullError('too many appends are waiting', { details }))
        return
      }
      this.#schedule()
    })
  }

  /** The loop's next authorSeq for this peer, read in the loop (for own-write-signing). */
  #readNextAuthorSeq(): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#phase === 'stopping' || this.#phase === 'stopped') {
        reject(this.#stoppedError())
      } else if (!this.#jobs.authorSeqReads.tryPush({ resolve, reject })) {
        reject(
          new InboxFullError('an authorSeq read is already waiting', {
            details: { channel: this.channel },
          }),
        )
      } else {
        this.#schedule()
      }
    })
  }

  #queueSigned(request: AppendRequest, writes: readonly OutboxEntry[], settle: () => void): void {
    const stopping = this.#phase === 'stopping' || this.#phase === 'stopped'
    if (stopping || !this.#jobs.appends.tryPush({ ...request, signed: { writes, settle } })) {
      settle()
      request.reject(
        stopping
          ? this.#stoppedError()
          : new InboxFullError('too many appends are waiting', {
              details: { channel: this.channel },
            }),
      )
      return
    }
    this.#schedule()
  }

  #stoppedError(): RuntimeStoppedError {
    return new RuntimeStoppedError('the runtime was cancelled', {
      details: { channel: this.channel },
    })
  }

  /**
   * Leader only: stop appending and hand leadership to `to` (see
   * leader-handoff). Served before queued appends, which then fail with
   * NotLeaderError. Resolves once the hand-off frame is queued, or refused.
   */
  handOff(to: PeerId): Promise<HandoffStart> {
    if (this.#phase !== 'running') {
      return Promise.reject(
        new RuntimeStoppedError('the runtime is not running', {
          details: { channel: this.channel },
        }),
      )
    }
    return new Promise((resolve, reject) => {
      if (!this.#jobs.handoffs.tryPush({ to, resolve })) {
        reject(
          new InboxFullError('too many hand-offs are waiting', {
            details: { channel: this.channel },
          }),
        )
        return
      }
      this.#schedule()
    })
  }

  /** False while this peer drains: it neither wins elections nor accepts hand-offs. */
  setStanding(standing: boolean): void {
    this.#ctx.handoff.standing = standing
  }

  get standing(): boolean {
    return this.#ctx.handoff.standing
  }

  /** The successor this leader is handing off to, if any. */
  get handingOffTo(): PeerId | undefined {
    return this.#ctx.handoff.outgoing?.to
  }

  cancel(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.#cancelling ??= this.#cancel(options.timeoutMs ?? this.#cancelTimeoutMs)
    return this.#cancelling
  }

  metrics(): ReplicationRuntimeSnapshot {
    return runtimeSnapshot(this.#ctx, {
      lowLane: this.#jobs.inbox.lowSize,
      priorityLane: this.#jobs.inbox.prioritySize,
      appendBacklog: this.#signing?.size ?? this.#jobs.appends.size,
    })
  }

  async #cancel(timeoutMs: number): Promise<void> {
    if (this.#phase === 'stopped') return
    this.#phase = 'stopping'
    this.#stopTimers()
    this.#rejectAppends()
    const queued = this.#jobs.inbox.tryPush({ kind: 'shutdown' }) === 'queued'
    this.#jobs.inbox.close()
    if (!queued) {
      // seed 001: the priority lane is itself full; do not wait behind it.
      this.#abort = true
      this.coordinator.transitionTo('idle', 'channel-close').catch(() => undefined)
    }
    this.#schedule()
    if (!(await this.#loopEndsWithin(timeoutMs))) {
      // A handler is stuck: stop waiting for it, and leave the channel idle
      // anyway (the context refuses whatever the handler does later).
      this.#halted = true
      this.coordinator.transitionTo('idle', 'channel-close').catch(() => undefined)
      this.#endLoop()
    }
  }

  #loopEndsWithin(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancelTimer = this.#ctx.clock.setTimer(timeoutMs, () => resolve(false))
      void this.#loopEnded.then(() => {
        cancelTimer()
        resolve(true)
      })
    })
  }

  #armTick(at: number): void {
    this.#nextTickAt = at
    this.#cancelTick = this.#ctx.clock.setTimer(at - this.#ctx.clock.now(), () => this.#onTimer())
  }

  #onTimer(): void {
    if (this.#phase !== 'running') return
    // A tick still waiting absorbs this one: missed ticks are skipped, not queued.
    this.#jobs.markDue('tick')
    const period = this.#ctx.heartbeatMs
    const late = this.#ctx.clock.now() - this.#nextTickAt
    this.#armTick(this.#nextTickAt + (Math.floor(late / period) + 1) * period)
    this.#schedule()
  }

  #stopTimers(): void {
    this.#cancelTick?.()
    this.#cancelTick = undefined
    this.#notices.close()
  }

  #schedule(): void {
    if (this.#draining || this.#phase === 'new' || this.#phase === 'stopped') return
    this.#draining = true
    queueMicrotask(() => void this.#drain())
  }

  async #drain(): Promise<void> {
    let ended = false
    try {
      while (!this.#halted && !ended) {
        if (this.#abort) {
          ended = true
          break
        }
        const job = this.#jobs.next()
        if (job === undefined) break
        ended = await runJob(this.#ctx, job, this.#advance)
        this.#noteFollowedLeader()
        this.#graceful ||= ended
      }
    } finally {
      this.#draining = false
    }
    if (ended) this.#endLoop()
    else if (this.#abort || this.#jobs.hasWork()) this.#schedule()
  }

  /** Runs `step`; if it moved a leader's tail, replicas hear of it early. */
  async #advancing<T>(step: () => Promise<T>): Promise<T> {
    const before = this.#ctx.store.state(this.channel).nextSeq
    try {
      return await step()
    } finally {
      if (
        this.coordinator.role === 'leader' &&
        this.#ctx.store.state(this.channel).nextSeq > before
      ) {
        // Caught-up replicas waiting at the old tail get the new entries first.
        if (this.#ctx.parked.size > 0) this.#jobs.markDue('parked')
        this.#notices.notify()
      }
    }
  }

  #noteFollowedLeader(): void {
    const leader = this.#ctx.tracker.believedLeader
    if (leader === this.#followed) return
    this.#followed = leader
    // Writes waiting in the outbox go to the new leader now, not at the next beat.
    this.#jobs.markDue('outbox')
    this.emit('leader-changed', { leader })
  }

  #rejectAppends(): void {
    for (const job of this.#jobs.handoffs.drain())
      job.resolve({ status: 'refused', reason: 'not-leader' })
    this.#signing?.close(() => this.#stoppedError())
    for (const read of this.#jobs.authorSeqReads.drain()) read.reject(this.#stoppedError())
    for (const job of this.#jobs.appends.drain()) {
      job.signed?.settle()
      job.reject(this.#stoppedError())
    }
  }

  #endLoop(): void {
    if (this.#phase === 'stopped') return
    this.#phase = 'stopped'
    this.#stopTimers()
    this.#jobs.inbox.close()
    this.#ctx.drops.record('cancelled', this.#jobs.inbox.drain().length)
    this.#rejectAppends()
    this.#offRoleChanged()
    this.#endLoopSignal()
    this.emit('stopped', { graceful: this.#graceful })
  }
}

/** Builds and starts a runtime: the seed's `spawn_replication_runtime`. */
export function startReplicationRuntime(options: ReplicationRuntimeOptions): ReplicationRuntime {
  const runtime = new ReplicationRuntime(options)
  runtime.start()
  return runtime
}
