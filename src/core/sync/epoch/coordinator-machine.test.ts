import { describe, expect, it } from 'vitest'
import { channelId, type PeerId, peerId } from '../../log/ids.js'
import {
  type CoordinatorInput,
  type CoordinatorState,
  newCoordinator,
  type RotationAction,
  stepCoordinator,
} from './coordinator-machine.js'

const CH = channelId('rotate')
const C = peerId('coordinator')
const PARTICIPANTS = [1, 2, 3].map((i) => peerId(`p${i}`)) as [PeerId, PeerId, PeerId]
const [P1, P2, P3] = PARTICIPANTS
const OBSERVER = peerId('dropped')
const TIMING = { deadlineMs: 1_000, resendMs: 100, maxSendFailures: 3 }

function start(participants: readonly PeerId[] = PARTICIPANTS) {
  return newCoordinator({
    rotationId: 42n,
    channel: CH,
    epoch: 7,
    replicaSet: [C, ...participants],
    participants,
    observers: [OBSERVER],
    now: 0,
    timing: TIMING,
  })
}

function run(state: CoordinatorState, inputs: readonly CoordinatorInput[]) {
  const actions: RotationAction[] = []
  let current = state
  for (const input of inputs) {
    const step = stepCoordinator(current, input)
    current = step.state
    actions.push(...step.actions)
  }
  return { state: current, actions }
}

const sends = (actions: readonly RotationAction[], kind: string) =>
  actions.flatMap((a) => (a.type === 'send' && a.frame.kind === kind ? [a.to] : []))
const ending = (actions: readonly RotationAction[]) =>
  actions.filter((a) => a.type === 'commit' || a.type === 'abort')

describe('seed 003: the coordinator commits once every participant confirmed', () => {
  it('proposes to all N, commits after the last distinct confirmation, tells observers too', () => {
    const { state, actions } = run(start(), [
      { type: 'start', now: 0 },
      { type: 'confirm', from: P1, epoch: 7 },
      { type: 'confirm', from: P1, epoch: 7 },
      { type: 'confirm', from: P2, epoch: 7 },
    ])
    expect(sends(actions, 'epoch-propose')).toEqual(PARTICIPANTS)
    // A duplicated confirmation never stands in for a missing one.
    expect(ending(actions)).toEqual([])
    expect(state.confirmed).toEqual(new Set([P1, P2]))
    const last = stepCoordinator(state, { type: 'confirm', from: P3, epoch: 7 })
    expect(last.state.phase).toBe('committed')
    expect(sends(last.actions, 'epoch-commit')).toEqual([P1, P2, P3, OBSERVER])
    expect(ending(last.actions)).toEqual([
      { type: 'commit', epoch: 7, replicaSet: [C, P1, P2, P3] },
    ])
  })

  it('with no participant the proposal commits at once', () => {
    const { actions } = run(start([]), [{ type: 'start', now: 0 }])
    expect(ending(actions)).toMatchObject([{ type: 'commit', epoch: 7 }])
  })

  it('ignores confirmations from peers it did not ask', () => {
    const { state, actions } = run(start(), [
      { type: 'start', now: 0 },
      { type: 'confirm', from: peerId('stranger'), epoch: 7 },
    ])
    expect(state.confirmed.size).toBe(0)
    expect(ending(actions)).toEqual([])
  })

  it('re-proposes only to participants that have not confirmed, every resendMs', () => {
    const { actions } = run(start(), [
      { type: 'start', now: 0 },
      { type: 'confirm', from: P2, epoch: 7 },
      { type: 'tick', now: 50 },
      { type: 'tick', now: 100 },
    ])
    expect(sends(actions, 'epoch-propose')).toEqual([P1, P2, P3, P1, P3])
    expect(actions.filter((a) => a.type === 'wake')).toEqual([
      { type: 'wake', at: 100 },
      { type: 'wake', at: 100 },
      { type: 'wake', at: 200 },
    ])
  })
})

describe('seed 003: every way the coordinator gives up is typed, and announced to participants', () => {
  it('times out at the deadline (VmTimedOut) naming who never confirmed', () => {
    const { state, actions } = run(start(), [
      { type: 'start', now: 0 },
      { type: 'confirm', from: P1, epoch: 7 },
      { type: 'tick', now: 1_000 },
    ])
    expect(state.phase).toBe('aborted')
    expect(sends(actions, 'epoch-abort')).toEqual(PARTICIPANTS)
    const [abort] = ending(actions)
    expect(abort).toMatchObject({
      type: 'abort',
      error: { code: 'ERR_EPOCH_TIMED_OUT', role: 'coordinator', details: { missing: [P2, P3] } },
    })
  })

  it('cancels (VmCancelled)', () => {
    const { actions } = run(start(), [{ type: 'start', now: 0 }, { type: 'cancel' }])
    expect(ending(actions)).toMatchObject([
      { error: { code: 'ERR_EPOCH_CANCELLED', role: 'coordinator' } },
    ])
  })

  it('a confirmation of another epoch is a decode failure (ConfirmationDecode)', () => {
    const { actions } = run(start(), [
      { type: 'start', now: 0 },
      { type: 'confirm', from: P2, epoch: 8 },
    ])
    expect(ending(actions)).toMatchObject([
      { error: { code: 'ERR_EPOCH_DECODE', details: { what: 'confirmation', from: P2 } } },
    ])
  })

  it('is stuck (VmStuck) when a participant cannot be sent to maxSendFailures times in a row', () => {
    const { state, actions } = run(start(), [
      { type: 'start', now: 0 },
      { type: 'send-failed', to: P3 },
      { type: 'send-failed', to: P3 },
      { type: 'sent', to: P3 },
      { type: 'send-failed', to: P3 },
      { type: 'send-failed', to: P3 },
    ])
    expect(state.phase).toBe('proposing')
    const stuck = stepCoordinator(state, { type: 'send-failed', to: P3 })
    expect(ending(stuck.actions)).toMatchObject([
      { error: { code: 'ERR_EPOCH_STUCK', details: { unreachable: P3 } } },
    ])
    expect(ending(actions)).toEqual([])
  })

  it('a participant that refuses ends the rotation; frames after the end change nothing', () => {
    const { state, actions } = run(start(), [
      { type: 'start', now: 0 },
      { type: 'participant-abort', from: P1, reason: 'stale-epoch' },
      { type: 'confirm', from: P2, epoch: 7 },
      { type: 'tick', now: 5_000 },
    ])
    expect(state.phase).toBe('aborted')
    expect(ending(actions)).toMatchObject([
      { error: { code: 'ERR_EPOCH_ABORTED', details: { from: P1, reason: 'stale-epoch' } } },
    ])
  })

  it('an encode failure aborts (ProposalEncode)', () => {
    const { actions } = run(start(), [
      { type: 'start', now: 0 },
      { type: 'encode-failed', what: 'epoch-propose', cause: new Error('too big') },
    ])
    expect(ending(actions)).toMatchObject([
      { error: { code: 'ERR_EPOCH_ENCODE', details: { what: 'epoch-propose' } } },
    ])
  })
})
