/**
 * Epoch rotation of channel membership (seed 003's choreography) over a
 * FrameSink: this peer coordinates rotations (`rotate`) and takes part in
 * others' (frames through `receive`). The pure machines decide; drivers
 * move their frames and timers; the book keeps each channel's epoch and set
 * and applies a commit through `onCommit` (the PeerNode wiring reopens the
 * channel's runtime with the new set, which moves its peer-auth gate).
 *
 * Who takes part: every member of the new set but the coordinator must
 * confirm (or `participants`, when given); members the new set drops are
 * only told of the commit. See epoch-admission for which proposals a peer
 * accepts and which commits it applies without a running participant.
 */
import { ClosedError, InvalidArgumentError } from '../../errors.js'
import { TypedEventTarget } from '../../events/typed-event-target.js'
import type { ChannelId, PeerId } from '../../log/ids.js'
import { type Logger, silentLogger } from '../../logger.js'
import { DropCounter } from '../../queue/drop-counter.js'
import { encodeFrame } from '../../wire/frame-codec.js'
import type { EpochWireFrame } from '../../wire/sync-frame-codec.js'
import {
  type CoordinatorInput,
  type CoordinatorState,
  newCoordinator,
  type RotationTiming,
} from './coordinator-machine.js'
import { acceptsLateCommit, EPOCH_REFUSALS, proposalRefusal } from './epoch-admission.js'
import { EpochBook, type EpochCommitted, type EpochRecord } from './epoch-book.js'
import { EpochBusyError, type EpochRotationError } from './epoch-errors.js'
import { abortFrame, rotationProblem } from './epoch-frames.js'
import type { EpochCommit, EpochPropose } from './epoch-messages.js'
import type {
  EpochRotationEvents,
  EpochRotationOptions,
  RotateOptions,
} from './epoch-rotation-options.js'
import { coordinatorKey, FinishedRotations, participantKey } from './finished-rotations.js'
import {
  coordinatorDriver,
  type MachineDriver,
  participantDriver,
  type SendOutcome,
} from './machine-driver.js'
import {
  newParticipant,
  type ParticipantInput,
  type ParticipantState,
} from './participant-machine.js'

export type { EpochCommitted, EpochRecord } from './epoch-book.js'
export type {
  EpochRotationEvents,
  EpochRotationOptions,
  RotateOptions,
} from './epoch-rotation-options.js'

export const EPOCH_DROPS = ['unknown-rotation', 'late-commit-refused'] as const

type Coordinator = MachineDriver<CoordinatorState, CoordinatorInput>
type Participant = MachineDriver<ParticipantState, ParticipantInput>

export class EpochRotation extends TypedEventTarget<EpochRotationEvents> {
  readonly self: PeerId
  readonly refusals = new DropCounter(EPOCH_REFUSALS)
  readonly drops = new DropCounter(EPOCH_DROPS)
  readonly #options: EpochRotationOptions
  readonly #logger: Logger
  readonly #book: EpochBook
  readonly #timing: { readonly coordinator: RotationTiming; readonly participant: RotationTiming }
  readonly #coordinating = new Map<bigint, Coordinator>()
  readonly #participating = new Map<string, Participant>()
  readonly #finished = new FinishedRotations(256)
  #stopped = false

  constructor(options: EpochRotationOptions) {
    super()
    this.self = options.self
    this.#options = options
    this.#logger = options.logger ?? silentLogger
    this.#book = new EpochBook(options.onCommit, this.#logger)
    const resendMs = options.resendMs ?? 1_000
    const maxSendFailures = options.maxSendFailures ?? 3
    this.#timing = {
      coordinator: { deadlineMs: options.deadlineMs ?? 10_000, resendMs, maxSendFailures },
      participant: {
        deadlineMs: options.participantDeadlineMs ?? 15_000,
        resendMs,
        maxSendFailures,
      },
    }
  }

  /** Records `channel`'s epoch and set as this peer knows them (epoch 0 when first opened). */
  setCurrent(channel: ChannelId, record: EpochRecord): void {
    this.#book.set(channel, record)
  }

  current(channel: ChannelId): EpochRecord | undefined {
    return this.#book.get(channel)
  }

  get applyFailures(): number {
    return this.#book.applyFailures
  }

  /** Rotations running here: as coordinator, and as participant. */
  get running(): { readonly coordinating: number; readonly participating: number } {
    return { coordinating: this.#coordinating.size, participating: this.#participating.size }
  }

  /**
   * Proposes epoch `current + 1` with `replicaSet`; resolves once every
   * participant confirmed, the commit was sent and it took effect here.
   * Rejects with EpochTimedOutError, EpochCancelledError, EpochStuckError,
   * EpochDecodeError, EpochEncodeError, EpochAbortedError or EpochBusyError.
   */
  rotate(
    channel: ChannelId,
    replicaSet: readonly PeerId[],
    options: RotateOptions = {},
  ): Promise<EpochCommitted> {
    if (this.#stopped) return Promise.reject(new ClosedError('epoch rotation has stopped'))
    const current = this.#book.get(channel)
    const participants = [
      ...new Set(options.participants ?? replicaSet.filter((p) => p !== this.self)),
    ]
    const problem = rotationProblem(current, replicaSet, participants.includes(this.self))
    if (problem !== undefined || current === undefined) {
      return Promise.reject(new InvalidArgumentError(problem ?? '', { details: { channel } }))
    }
    if (this.#runningFor(channel) !== undefined) {
      return Promise.reject(
        new EpochBusyError('a rotation of this channel is already running here', 'coordinator', {
          details: { channel },
        }),
      )
    }
    const state = newCoordinator({
      rotationId: this.#options.rng.nextU64(),
      channel,
      epoch: current.epoch + 1,
      replicaSet: [...replicaSet],
      participants,
      observers: current.replicaSet.filter(
        (p) => p !== this.self && !replicaSet.includes(p) && !participants.includes(p),
      ),
      now: this.#options.clock.now(),
      timing: this.#timing.coordinator,
    })
    return new Promise<EpochCommitted>((resolve, reject) => {
      const { signal } = options
      const onAbort = () => driver.feed({ type: 'cancel' })
      const driver = coordinatorDriver(state, {
        clock: this.#options.clock,
        send: (to, frame) => this.#send(to, frame),
        onEnd: (end, error) => {
          signal?.removeEventListener('abort', onAbort)
          this.#coordinating.delete(end.rotationId)
          void this.#coordinatorEnded(end, error).then(resolve, reject)
        },
      })
      this.#coordinating.set(state.rotationId, driver)
      this.emit('epoch-proposed', { channel, epoch: state.epoch, participants })
      signal?.addEventListener('abort', onAbort, { once: true })
      driver.feed(signal?.aborted ? { type: 'cancel' } : { type: 'start', now: this.#now() })
    })
  }

  /** Cancels the rotation of `channel` running here (as coordinator or participant). */
  cancel(channel: ChannelId): boolean {
    const driver = this.#runningFor(channel)
    driver?.feed({ type: 'cancel' })
    return driver !== undefined
  }

  /** A decoded epoch frame from `from` (transport-authenticated). False when it changed nothing. */
  receive(from: PeerId, frame: EpochWireFrame): boolean {
    const { rotationId, channelId } = frame.message
    switch (frame.kind) {
      case 'epoch-propose':
        return this.#onPropose(from, frame.message)
      case 'epoch-confirm': {
        const led = this.#coordinating.get(rotationId)
        if (led === undefined || led.state.channel !== channelId) {
          return this.#answerFinished(from, coordinatorKey(rotationId))
        }
        led.feed({ type: 'confirm', from, epoch: frame.message.epoch })
        return true
      }
      case 'epoch-commit': {
        const run = this.#participating.get(participantKey(from, rotationId))
        if (run === undefined) return this.#onLateCommit(from, frame.message)
        run.feed({ type: 'commit', ...frame.message })
        return true
      }
      case 'epoch-abort': {
        const reason = frame.message.reason
        const led = this.#coordinating.get(rotationId)
        if (led?.state.participants.includes(from) === true) {
          led.feed({ type: 'participant-abort', from, reason })
          return true
        }
        const run = this.#participating.get(participantKey(from, rotationId))
        if (run !== undefined) {
          run.feed({ type: 'coordinator-abort', reason })
          return true
        }
        // A participant that gave up on a rotation we committed gets the commit again.
        const ended = this.#finished.get(coordinatorKey(rotationId))
        if (ended?.outcome === 'committed')
          return this.#answerFinished(from, coordinatorKey(rotationId))
        this.drops.record('unknown-rotation')
        return false
      }
    }
  }

  /** Cancels every rotation running here and waits for commits being applied. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true
    for (const driver of [...this.#coordinating.values(), ...this.#participating.values()]) {
      driver.feed({ type: 'cancel' })
    }
    await this.#book.drain()
  }

  #now(): number {
    return this.#options.clock.now()
  }

  #runningFor(channel: ChannelId): Coordinator | Participant | undefined {
    for (const driver of [...this.#coordinating.values(), ...this.#participating.values()]) {
      if (driver.state.channel === channel) return driver
    }
    return undefined
  }

  #authorized(from: PeerId, channel: ChannelId): boolean {
    const current = this.#book.get(channel)
    const rule = this.#options.authorize
    if (rule !== undefined) return rule(from, channel, current)
    return current === undefined || current.replicaSet.includes(from)
  }

  #onPropose(from: PeerId, proposal: EpochPropose): boolean {
    const key = participantKey(from, proposal.rotationId)
    const running = this.#participating.get(key)
    if (running !== undefined) {
      running.feed({ type: 'propose', ...proposal })
      return true
    }
    if (this.#finished.get(key) !== undefined) return this.#answerFinished(from, key)
    const channel = proposal.channelId
    const refusal = proposalRefusal(proposal.epoch, {
      stopped: this.#stopped,
      authorized: this.#authorized(from, channel),
      current: this.#book.get(channel),
      busy:
        this.#runningFor(channel) !== undefined ||
        this.#participating.size >= (this.#options.maxParticipations ?? 64),
    })
    if (refusal !== undefined) {
      this.refusals.record(refusal)
      const { rotationId, epoch } = proposal
      this.#send(from, {
        kind: 'epoch-abort',
        message: { channelId: channel, rotationId, epoch, reason: refusal, detail: '' },
      })
      return false
    }
    const participant = newParticipant({
      ...proposal,
      channel,
      coordinator: from,
      replicaSet: [...proposal.replicaSet],
      now: this.#now(),
      timing: this.#timing.participant,
    })
    const driver = participantDriver(participant, {
      clock: this.#options.clock,
      send: (to, frame) => this.#send(to, frame),
      onEnd: (end, error) => this.#participantEnded(end, error),
    })
    this.#participating.set(key, driver)
    this.emit('epoch-confirmed', { channel, epoch: proposal.epoch, coordinator: from })
    driver.feed({ type: 'start', now: this.#now() })
    return true
  }

  #onLateCommit(from: PeerId, commit: EpochCommit): boolean {
    const channel = commit.channelId
    const finished = this.#finished.get(participantKey(from, commit.rotationId))
    if (
      !acceptsLateCommit(commit, finished, this.#book.get(channel), this.#authorized(from, channel))
    ) {
      this.drops.record('late-commit-refused')
      return false
    }
    const { rotationId, epoch, replicaSet } = commit
    void this.#commitHere({
      channel,
      rotationId,
      epoch,
      replicaSet: [...replicaSet],
      role: 'observer',
    })
    return true
  }

  #answerFinished(to: PeerId, key: string): boolean {
    const answer = this.#finished.get(key)?.answer
    if (answer === undefined) {
      this.drops.record('unknown-rotation')
      return false
    }
    this.#send(to, answer)
    return true
  }

  async #coordinatorEnded(
    state: CoordinatorState,
    error: EpochRotationError | undefined,
  ): Promise<EpochCommitted> {
    const { channel: channelId, rotationId, epoch, replicaSet } = state
    if (error !== undefined) {
      // A participant repeating its confirmation learns the rotation is over.
      this.#finished.remember(coordinatorKey(rotationId), {
        outcome: 'aborted',
        answer: abortFrame(state, error),
      })
      this.#aborted(channelId, epoch, error)
      throw error
    }
    // A participant repeating its confirmation gets the commit again: a lost commit is recovered.
    this.#finished.remember(coordinatorKey(rotationId), {
      outcome: 'committed',
      answer: { kind: 'epoch-commit', message: { channelId, rotationId, epoch, replicaSet } },
    })
    const committed: EpochCommitted = {
      channel: channelId,
      epoch,
      replicaSet,
      rotationId,
      role: 'coordinator',
    }
    await this.#commitHere(committed)
    return committed
  }

  #participantEnded(state: ParticipantState, error: EpochRotationError | undefined): void {
    const { channel, rotationId, epoch, replicaSet, coordinator } = state
    const key = participantKey(coordinator, rotationId)
    this.#participating.delete(key)
    this.#finished.remember(key, {
      outcome: error === undefined ? 'committed' : 'aborted',
      answer: error === undefined ? undefined : abortFrame(state, error),
      confirmed: { epoch, replicaSet },
      invalid: error?.code === 'ERR_EPOCH_DECODE' || error?.code === 'ERR_EPOCH_ENCODE',
    })
    if (error !== undefined) this.#aborted(channel, epoch, error)
    else void this.#commitHere({ channel, epoch, replicaSet, rotationId, role: 'participant' })
  }

  #aborted(channel: ChannelId, epoch: number, error: EpochRotationError): void {
    this.#logger.info('epoch rotation aborted', {
      channel,
      epoch,
      role: error.role,
      code: error.code,
    })
    this.emit('epoch-aborted', { channel, epoch, role: error.role, code: error.code })
  }

  #commitHere(committed: EpochCommitted): Promise<void> {
    const { channel, epoch, role } = committed
    this.#logger.info('epoch committed', { channel, epoch, role })
    const applied = this.#book.commit(committed)
    this.emit('epoch-committed', committed)
    return applied
  }

  #send(to: PeerId, frame: EpochWireFrame): SendOutcome {
    let bytes: Uint8Array
    try {
      bytes = encodeFrame(frame)
    } catch (error) {
      this.#logger.error('an epoch frame could not be encoded', {
        kind: frame.kind,
        error: String(error),
      })
      return { encodeFailed: error }
    }
    const outcome = this.#options.sink.send(to, bytes)
    if (outcome !== 'queued')
      this.#logger.debug('epoch frame refused by the transport', { to, kind: frame.kind, outcome })
    return outcome
  }
}
