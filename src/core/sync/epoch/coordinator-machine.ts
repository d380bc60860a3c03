/**
 * The coordinator's side of an epoch rotation as a pure state machine
 * (seed 003's execute_epoch_rotation_coordinator, for N participants):
 * `stepCoordinator(state, input)` returns the next state and the actions to
 * carry out. It proposes to every participant, re-proposes to those that
 * have not confirmed every `resendMs` (a lost frame is not a failure),
 * commits once every participant confirmed, and otherwise aborts: at the
 * deadline, on cancel, when a participant refuses, when a confirmation does
 * not match, or when a participant cannot be sent to `maxSendFailures`
 * times in a row. An abort is announced to every participant.
 */
import type { ChannelId, PeerId } from '../../log/ids.js'
import type { EpochWireFrame } from '../../wire/sync-frame-codec.js'
import {
  EpochAbortedError,
  EpochCancelledError,
  EpochDecodeError,
  EpochEncodeError,
  type EpochRotationError,
  EpochStuckError,
  EpochTimedOutError,
} from './epoch-errors.js'
import type { EpochAbortReason } from './epoch-messages.js'

export interface RotationTiming {
  readonly deadlineMs: number
  readonly resendMs: number
  readonly maxSendFailures: number
}

export interface CoordinatorState {
  readonly phase: 'proposing' | 'committed' | 'aborted'
  readonly rotationId: bigint
  readonly channel: ChannelId
  readonly epoch: number
  readonly replicaSet: readonly PeerId[]
  /** Must all confirm before the commit. */
  readonly participants: readonly PeerId[]
  /** Told of the commit without being asked (members the new set drops). */
  readonly observers: readonly PeerId[]
  readonly confirmed: ReadonlySet<PeerId>
  /** Consecutive refused sends per participant. */
  readonly sendFailures: ReadonlyMap<PeerId, number>
  readonly deadlineAt: number
  readonly resendAt: number
  readonly timing: RotationTiming
}

export type CoordinatorInput =
  | { readonly type: 'start'; readonly now: number }
  | { readonly type: 'confirm'; readonly from: PeerId; readonly epoch: number }
  | { readonly type: 'participant-abort'; readonly from: PeerId; readonly reason: EpochAbortReason }
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'cancel' }
  | { readonly type: 'send-failed'; readonly to: PeerId }
  | { readonly type: 'sent'; readonly to: PeerId }
  | { readonly type: 'encode-failed'; readonly what: string; readonly cause: unknown }

export type RotationAction =
  | { readonly type: 'send'; readonly to: PeerId; readonly frame: EpochWireFrame }
  | { readonly type: 'commit'; readonly epoch: number; readonly replicaSet: readonly PeerId[] }
  | { readonly type: 'abort'; readonly error: EpochRotationError }
  | { readonly type: 'wake'; readonly at: number }

export interface Step<S> {
  readonly state: S
  readonly actions: readonly RotationAction[]
}

export interface CoordinatorStart {
  readonly rotationId: bigint
  readonly channel: ChannelId
  readonly epoch: number
  readonly replicaSet: readonly PeerId[]
  readonly participants: readonly PeerId[]
  readonly observers: readonly PeerId[]
  readonly now: number
  readonly timing: RotationTiming
}

export function newCoordinator(start: CoordinatorStart): CoordinatorState {
  return {
    phase: 'proposing',
    rotationId: start.rotationId,
    channel: start.channel,
    epoch: start.epoch,
    replicaSet: start.replicaSet,
    participants: start.participants,
    observers: start.observers,
    confirmed: new Set(),
    sendFailures: new Map(),
    deadlineAt: start.now + start.timing.deadlineMs,
    resendAt: start.now + start.timing.resendMs,
    timing: start.timing,
  }
}

const ROLE = 'coordinator'

function propose(state: CoordinatorState, to: PeerId): RotationAction {
  const { channel: channelId, rotationId, epoch, replicaSet } = state
  return {
    type: 'send',
    to,
    frame: { kind: 'epoch-propose', message: { channelId, rotationId, epoch, replicaSet } },
  }
}

function aborted(
  state: CoordinatorState,
  reason: EpochAbortReason,
  error: EpochRotationError,
): Step<CoordinatorState> {
  const { channel: channelId, rotationId, epoch } = state
  const sends: RotationAction[] = state.participants.map((to) => ({
    type: 'send',
    to,
    frame: {
      kind: 'epoch-abort',
      message: { channelId, rotationId, epoch, reason, detail: error.message },
    },
  }))
  return { state: { ...state, phase: 'aborted' }, actions: [...sends, { type: 'abort', error }] }
}

function committed(state: CoordinatorState): Step<CoordinatorState> {
  const { channel: channelId, rotationId, epoch, replicaSet } = state
  const commit: EpochWireFrame = {
    kind: 'epoch-commit',
    message: { channelId, rotationId, epoch, replicaSet },
  }
  const sends: RotationAction[] = [...state.participants, ...state.observers].map((to) => ({
    type: 'send',
    to,
    frame: commit,
  }))
  return {
    state: { ...state, phase: 'committed' },
    actions: [...sends, { type: 'commit', epoch, replicaSet }],
  }
}

function details(state: CoordinatorState, extra: Record<string, unknown> = {}) {
  return {
    details: {
      channel: state.channel,
      epoch: state.epoch,
      confirmed: state.confirmed.size,
      participants: state.participants.length,
      ...extra,
    },
  }
}

export function stepCoordinator(
  state: CoordinatorState,
  input: CoordinatorInput,
): Step<CoordinatorState> {
  if (state.phase !== 'proposing') return { state, actions: [] }
  switch (input.type) {
    case 'start':
      // seed 003: with no one to ask, the proposal is already confirmed by all.
      if (state.participants.length === 0) return committed(state)
      return {
        state,
        actions: [
          ...state.participants.map((to) => propose(state, to)),
          { type: 'wake', at: Math.min(state.resendAt, state.deadlineAt) },
        ],
      }
    case 'confirm': {
      if (!state.participants.includes(input.from)) return { state, actions: [] }
      if (input.epoch !== state.epoch) {
        const error = new EpochDecodeError(
          `${input.from} confirmed epoch ${input.epoch}, not the proposed ${state.epoch}`,
          ROLE,
          details(state, { what: 'confirmation', from: input.from }),
        )
        return aborted(state, 'invalid', error)
      }
      // seed 003 counts confirmations; we count distinct participants, so a
      // duplicated frame cannot stand in for a missing one.
      const confirmed = new Set(state.confirmed).add(input.from)
      const next = { ...state, confirmed }
      return confirmed.size === state.participants.length
        ? committed(next)
        : { state: next, actions: [] }
    }
    case 'participant-abort': {
      if (!state.participants.includes(input.from)) return { state, actions: [] }
      const error = new EpochAbortedError(
        `${input.from} ended the rotation: ${input.reason}`,
        ROLE,
        details(state, { from: input.from, reason: input.reason }),
      )
      return aborted(state, 'cancelled', error)
    }
    case 'tick': {
      if (input.now >= state.deadlineAt) {
        const error = new EpochTimedOutError(
          `epoch ${state.epoch} was not confirmed by every participant in time`,
          ROLE,
          details(state, { missing: state.participants.filter((p) => !state.confirmed.has(p)) }),
        )
        return aborted(state, 'timed-out', error)
      }
      if (input.now < state.resendAt)
        return { state, actions: [{ type: 'wake', at: state.resendAt }] }
      const resendAt = input.now + state.timing.resendMs
      const next = { ...state, resendAt }
      return {
        state: next,
        actions: [
          ...state.participants
            .filter((p) => !state.confirmed.has(p))
            .map((to) => propose(next, to)),
          { type: 'wake', at: Math.min(resendAt, state.deadlineAt) },
        ],
      }
    }
    case 'cancel':
      return aborted(
        state,
        'cancelled',
        new EpochCancelledError('the rotation was cancelled', ROLE, details(state)),
      )
    case 'encode-failed':
      return aborted(
        state,
        'invalid',
        new EpochEncodeError(`could not encode the ${input.what}`, ROLE, {
          ...details(state, { what: input.what }),
          cause: input.cause,
        }),
      )
    case 'sent': {
      if (!state.sendFailures.has(input.to)) return { state, actions: [] }
      const sendFailures = new Map(state.sendFailures)
      sendFailures.delete(input.to)
      return { state: { ...state, sendFailures }, actions: [] }
    }
    case 'send-failed': {
      const failures = (state.sendFailures.get(input.to) ?? 0) + 1
      const next = { ...state, sendFailures: new Map(state.sendFailures).set(input.to, failures) }
      if (failures < state.timing.maxSendFailures || state.confirmed.has(input.to)) {
        return { state: next, actions: [] }
      }
      const error = new EpochStuckError(
        `cannot reach ${input.to}: ${failures} proposals refused by the transport`,
        ROLE,
        details(state, { unreachable: input.to }),
      )
      return aborted(next, 'stuck', error)
    }
  }
}
