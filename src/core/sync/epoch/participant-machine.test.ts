import { describe, expect, it } from 'vitest'
import { channelId, peerId } from '../../log/ids.js'
import type { RotationAction } from './coordinator-machine.js'
import {
  newParticipant,
  type ParticipantInput,
  type ParticipantState,
  stepParticipant,
} from './participant-machine.js'

const CH = channelId('rotate')
const C = peerId('coordinator')
const SET = [C, peerId('p1'), peerId('p2')]
const TIMING = { deadlineMs: 1_500, resendMs: 100, maxSendFailures: 3 }

function run(inputs: readonly ParticipantInput[]) {
  let state: ParticipantState = newParticipant({
    rotationId: 9n,
    channel: CH,
    coordinator: C,
    epoch: 3,
    replicaSet: SET,
    now: 0,
    timing: TIMING,
  })
  const actions: RotationAction[] = []
  for (const input of inputs) {
    const step = stepParticipant(state, input)
    state = step.state
    actions.push(...step.actions)
  }
  return { state, actions }
}

const frames = (actions: readonly RotationAction[]) =>
  actions.flatMap((a) => (a.type === 'send' ? [`${a.frame.kind}>${a.to}`] : []))
const ending = (actions: readonly RotationAction[]) =>
  actions.filter((a) => a.type === 'commit' || a.type === 'abort')

describe('seed 003: a participant confirms, then waits for the commit', () => {
  it('confirms at once and again every resendMs until the commit, which it applies', () => {
    const { state, actions } = run([
      { type: 'start', now: 0 },
      { type: 'tick', now: 100 },
      { type: 'propose', epoch: 3, replicaSet: [...SET].reverse() },
      { type: 'commit', epoch: 3, replicaSet: SET },
    ])
    expect(frames(actions)).toEqual([
      `epoch-confirm>${C}`,
      `epoch-confirm>${C}`,
      `epoch-confirm>${C}`,
    ])
    expect(state.phase).toBe('committed')
    expect(ending(actions)).toEqual([{ type: 'commit', epoch: 3, replicaSet: SET }])
  })

  it('a commit that differs from what it confirmed is a decode failure, told to the coordinator', () => {
    const { actions } = run([
      { type: 'start', now: 0 },
      { type: 'commit', epoch: 3, replicaSet: [C] },
    ])
    expect(frames(actions)).toEqual([`epoch-confirm>${C}`, `epoch-abort>${C}`])
    expect(ending(actions)).toMatchObject([
      { error: { code: 'ERR_EPOCH_DECODE', role: 'participant', details: { what: 'commit' } } },
    ])
  })

  it('gives up at its deadline (VmTimedOut), on cancel (VmCancelled), and when the coordinator aborts', () => {
    expect(
      ending(
        run([
          { type: 'start', now: 0 },
          { type: 'tick', now: 1_500 },
        ]).actions,
      ),
    ).toMatchObject([{ error: { code: 'ERR_EPOCH_TIMED_OUT', role: 'participant' } }])
    const cancelled = run([{ type: 'start', now: 0 }, { type: 'cancel' }])
    expect(frames(cancelled.actions)).toEqual([`epoch-confirm>${C}`, `epoch-abort>${C}`])
    expect(ending(cancelled.actions)).toMatchObject([{ error: { code: 'ERR_EPOCH_CANCELLED' } }])
    const told = run([
      { type: 'start', now: 0 },
      { type: 'coordinator-abort', reason: 'timed-out' },
    ])
    // The coordinator already knows: nothing is sent back.
    expect(frames(told.actions)).toEqual([`epoch-confirm>${C}`])
    expect(ending(told.actions)).toMatchObject([
      { error: { code: 'ERR_EPOCH_ABORTED', details: { reason: 'timed-out' } } },
    ])
  })

  it('is stuck (VmStuck) when its confirmations are refused maxSendFailures times in a row', () => {
    const { state, actions } = run([
      { type: 'start', now: 0 },
      { type: 'send-failed' },
      { type: 'send-failed' },
      { type: 'send-failed' },
      { type: 'commit', epoch: 3, replicaSet: SET },
    ])
    expect(state.phase).toBe('aborted')
    expect(ending(actions)).toMatchObject([{ error: { code: 'ERR_EPOCH_STUCK' } }])
  })
})
