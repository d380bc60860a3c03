/**
 * A participant's side of an epoch rotation as a pure state machine (seed
 * 003's execute_epoch_rotation_participant): confirm the proposal, then
 * wait for the commit. The confirmation is repeated every `resendMs` until
 * the commit arrives (the coordinator answers a repeated confirmation of a
 * committed rotation with the commit again, so a lost commit is recovered),
 * and a repeated proposal is confirmed again. The participant gives up at
 * its deadline, on cancel, when the coordinator aborts, when the commit
 * does not match what it confirmed, or when the coordinator cannot be sent
 * to `maxSendFailures` times in a row; it tells the coordinator why.
 */
import type { ChannelId, PeerId } from '../../log/ids.js'
import type { RotationAction, RotationTiming, Step } from './coordinator-machine.js'
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
import { sameMembers } from './replica-sets.js'

export interface ParticipantState {
  readonly phase: 'confirmed' | 'committed' | 'aborted'
  readonly rotationId: bigint
  readonly channel: ChannelId
  readonly coordinator: PeerId
  readonly epoch: number
  readonly replicaSet: readonly PeerId[]
  readonly sendFailures: number
  readonly deadlineAt: number
  readonly resendAt: number
  readonly timing: RotationTiming
}

export type ParticipantInput =
  | { readonly type: 'start'; readonly now: number }
  | { readonly type: 'propose'; readonly epoch: number; readonly replicaSet: readonly PeerId[] }
  | { readonly type: 'commit'; readonly epoch: number; readonly replicaSet: readonly PeerId[] }
  | { readonly type: 'coordinator-abort'; readonly reason: EpochAbortReason }
  | { readonly type: 'tick'; readonly now: number }
  | { readonly type: 'cancel' }
  | { readonly type: 'send-failed' }
  | { readonly type: 'sent' }
  | { readonly type: 'encode-failed'; readonly what: string; readonly cause: unknown }

export interface ParticipantStart {
  readonly rotationId: bigint
  readonly channel: ChannelId
  readonly coordinator: PeerId
  readonly epoch: number
  readonly replicaSet: readonly PeerId[]
  readonly now: number
  readonly timing: RotationTiming
}

export function newParticipant(start: ParticipantStart): ParticipantState {
  return {
    phase: 'confirmed',
    rotationId: start.rotationId,
    channel: start.channel,
    coordinator: start.coordinator,
    epoch: start.epoch,
    replicaSet: start.replicaSet,
    sendFailures: 0,
    deadlineAt: start.now + start.timing.deadlineMs,
    resendAt: start.now + start.timing.resendMs,
    timing: start.timing,
  }
}

const ROLE = 'participant'

function confirm(state: ParticipantState): RotationAction {
  const { channel: channelId, rotationId, epoch } = state
  return {
    type: 'send',
    to: state.coordinator,
    frame: { kind: 'epoch-confirm', message: { channelId, rotationId, epoch } },
  }
}

function aborted(
  state: ParticipantState,
  error: EpochRotationError,
  tell?: EpochAbortReason,
): Step<ParticipantState> {
  const { channel: channelId, rotationId, epoch } = state
  const actions: RotationAction[] = []
  if (tell !== undefined) {
    actions.push({
      type: 'send',
      to: state.coordinator,
      frame: {
        kind: 'epoch-abort',
        message: { channelId, rotationId, epoch, reason: tell, detail: error.message },
      },
    })
  }
  actions.push({ type: 'abort', error })
  return { state: { ...state, phase: 'aborted' }, actions }
}

function details(state: ParticipantState, extra: Record<string, unknown> = {}) {
  return {
    details: {
      channel: state.channel,
      epoch: state.epoch,
      coordinator: state.coordinator,
      ...extra,
    },
  }
}

export function stepParticipant(
  state: ParticipantState,
  input: ParticipantInput,
): Step<ParticipantState> {
  if (state.phase !== 'confirmed') return { state, actions: [] }
  switch (input.type) {
    case 'start':
      return { state, actions: [confirm(state), { type: 'wake', at: state.resendAt }] }
    case 'propose':
      if (input.epoch === state.epoch && sameMembers(input.replicaSet, state.replicaSet)) {
        return { state, actions: [confirm(state)] }
      }
      return aborted(
        state,
        new EpochDecodeError(
          'a repeated proposal changed the rotation',
          ROLE,
          details(state, { what: 'proposal' }),
        ),
        'invalid',
      )
    case 'commit':
      if (input.epoch === state.epoch && sameMembers(input.replicaSet, state.replicaSet)) {
        return {
          state: { ...state, phase: 'committed' },
          actions: [{ type: 'commit', epoch: state.epoch, replicaSet: state.replicaSet }],
        }
      }
      return aborted(
        state,
        new EpochDecodeError(
          `the commit (epoch ${input.epoch}) does not match the confirmed proposal`,
          ROLE,
          details(state, { what: 'commit', committedEpoch: input.epoch }),
        ),
        'invalid',
      )
    case 'coordinator-abort':
      return aborted(
        state,
        new EpochAbortedError(
          `the coordinator ended the rotation: ${input.reason}`,
          ROLE,
          details(state, { reason: input.reason }),
        ),
      )
    case 'tick':
      if (input.now >= state.deadlineAt) {
        return aborted(
          state,
          new EpochTimedOutError(
            `no commit for epoch ${state.epoch} in time`,
            ROLE,
            details(state),
          ),
          'timed-out',
        )
      }
      if (input.now < state.resendAt) {
        return {
          state,
          actions: [{ type: 'wake', at: Math.min(state.resendAt, state.deadlineAt) }],
        }
      }
      return {
        state: { ...state, resendAt: input.now + state.timing.resendMs },
        actions: [
          confirm(state),
          { type: 'wake', at: Math.min(input.now + state.timing.resendMs, state.deadlineAt) },
        ],
      }
    case 'cancel':
      return aborted(
        state,
        new EpochCancelledError('the rotation was cancelled', ROLE, details(state)),
        'cancelled',
      )
    case 'encode-failed':
      return aborted(
        state,
        new EpochEncodeError(`could not encode the ${input.what}`, ROLE, {
          ...details(state, { what: input.what }),
          cause: input.cause,
        }),
      )
    case 'sent':
      return state.sendFailures === 0
        ? { state, actions: [] }
        : { state: { ...state, sendFailures: 0 }, actions: [] }
    case 'send-failed': {
      const sendFailures = state.sendFailures + 1
      const next = { ...state, sendFailures }
      if (sendFailures < state.timing.maxSendFailures) return { state: next, actions: [] }
      return aborted(
        next,
        new EpochStuckError(
          `cannot reach the coordinator: ${sendFailures} confirmations refused by the transport`,
          ROLE,
          details(state),
        ),
      )
    }
  }
}
