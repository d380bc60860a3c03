import { describe, expect, it } from 'vitest'
import { type ChannelId, channelId, peerId } from '../log/ids.js'
import type { ControlAction, PendingAction } from './control-actions.js'
import { resolveControlConfig } from './control-config.js'
import { type ControlState, createControlState } from './control-state.js'
import { applyAdminCommand } from './fold-admin.js'
import { type FactEvent, foldEvent } from './fold-event.js'
import { reconcile, recordQueuedAction } from './reconcile.js'
import { defined, makeTestLoop, SELF } from './test-control-kit.js'

const config = resolveControlConfig({ handoffRetryMs: 100, defaultDrainDeadlineMs: 1_000 })
const NEAR = peerId('near')
const FAR = peerId('far')
const ch = (name: string): ChannelId => channelId(name)

/** This peer leads `a` and `b`; both replicas are connected, `near` is closer. */
function leaderState(): ControlState {
  const state = createControlState(SELF)
  const events: FactEvent[] = [
    { type: 'peer-connected', peer: NEAR },
    { type: 'peer-connected', peer: FAR },
    { type: 'rtt-sample', peer: NEAR, rttMs: 10 },
    { type: 'rtt-sample', peer: FAR, rttMs: 90 },
  ]
  for (const name of ['a', 'b']) {
    events.push(
      { type: 'channel-opened', channel: ch(name), replicaSet: [SELF, NEAR, FAR] },
      { type: 'role-changed', channel: ch(name), role: 'leader', leader: SELF },
    )
  }
  for (const event of events) foldEvent(state, event, config, 0)
  // Settle the runtimes' replica sets so only drain actions remain interesting.
  for (const action of reconcile(state, config, 0)) recordQueuedAction(state, action, config, 0)
  return state
}

const DRAIN_KINDS = new Set(['drain-start', 'drain-finish', 'drain-exit', 'hand-off-leadership'])

function tick(state: ControlState, now: number): ControlAction[] {
  const actions = reconcile(state, config, now)
  for (const action of actions) recordQueuedAction(state, action, config, now)
  return actions.filter((a) => DRAIN_KINDS.has(a.kind))
}

describe('drain: a leaving peer hands leadership off before it goes', () => {
  it('announces, hands every led channel to the nearest live replica, and finishes once nothing is led', () => {
    const state = leaderState()
    foldEvent(state, { type: 'drain-requested', reason: 'tab-closing' }, config, 5)
    expect(tick(state, 10)).toEqual([
      { kind: 'drain-start', reason: 'tab-closing', deadline: 1_005, leading: ['a', 'b'] },
      { kind: 'hand-off-leadership', channel: 'a', to: NEAR, reason: 'drain' },
      { kind: 'hand-off-leadership', channel: 'b', to: NEAR, reason: 'drain' },
    ])
    foldEvent(
      state,
      { type: 'role-changed', channel: ch('a'), role: 'replica', leader: NEAR },
      config,
      20,
    )
    expect(tick(state, 30)).toEqual([])
    foldEvent(
      state,
      { type: 'role-changed', channel: ch('b'), role: 'replica', leader: NEAR },
      config,
      40,
    )
    expect(tick(state, 50)).toEqual([
      { kind: 'drain-finish', outcome: 'drained', stillLeading: [] },
    ])
    expect(state.maintenance).toEqual({ phase: 'drained', reason: 'tab-closing', at: 50 })
    expect(tick(state, 60)).toEqual([])
  })

  it('retries an unanswered hand-off after handoffRetryMs, rotating to the next successor', () => {
    const state = leaderState()
    foldEvent(
      state,
      { type: 'role-changed', channel: ch('b'), role: 'replica', leader: NEAR },
      config,
      0,
    )
    foldEvent(state, { type: 'drain-requested', reason: 'local' }, config, 0)
    const targets = (now: number) =>
      tick(state, now).flatMap((a) => (a.kind === 'hand-off-leadership' ? [a.to] : []))
    expect(targets(0)).toEqual([NEAR])
    expect(targets(99)).toEqual([])
    expect(targets(100)).toEqual([FAR])
    expect(targets(200)).toEqual([NEAR])
  })

  it('finishes with deadline-exceeded, naming the channels still led', () => {
    const state = leaderState()
    foldEvent(state, { type: 'drain-requested', reason: 'tab-closing', deadlineMs: 300 }, config, 0)
    tick(state, 0)
    expect(tick(state, 300)).toEqual([
      { kind: 'drain-finish', outcome: 'deadline-exceeded', stillLeading: ['a', 'b'] },
    ])
    expect(state.maintenance.phase).toBe('drain-failed')
  })

  it('never picks an unreachable replica or one an admin is draining', () => {
    const state = leaderState()
    foldEvent(state, { type: 'peer-health', peer: NEAR, health: 'unreachable' }, config, 0)
    foldEvent(state, { type: 'drain-requested', reason: 'local' }, config, 0)
    expect(tick(state, 0).flatMap((a) => (a.kind === 'hand-off-leadership' ? [a.to] : []))).toEqual(
      [FAR, FAR],
    )
    const other = leaderState()
    applyAdminCommand(other, { type: 'drain-peer', peer: FAR }, config, 0)
    applyAdminCommand(other, { type: 'drain-peer', peer: NEAR }, config, 0)
    foldEvent(other, { type: 'drain-requested', reason: 'local' }, config, 0)
    // No live successor: nothing to hand to, so it waits for one or for the deadline.
    expect(tick(other, 0).map((a) => a.kind)).toEqual(['drain-start'])
  })

  it('an admin drain of this peer drains it; undrain after the announcement owes a drain-exit', () => {
    const state = leaderState()
    applyAdminCommand(state, { type: 'drain-peer', peer: SELF, deadlineMs: 500 }, config, 0)
    expect(tick(state, 0)[0]).toEqual({
      kind: 'drain-start',
      reason: 'admin',
      deadline: 500,
      leading: ['a', 'b'],
    })
    applyAdminCommand(state, { type: 'undrain-peer', peer: SELF }, config, 10)
    expect(tick(state, 20)).toEqual([{ kind: 'drain-exit' }])
    expect(state.maintenance).toEqual({ phase: 'active' })
  })

  it('a drain cancelled before it was announced changes nothing', () => {
    const state = leaderState()
    foldEvent(state, { type: 'drain-requested', reason: 'tab-closing' }, config, 0)
    foldEvent(state, { type: 'drain-cancelled' }, config, 0)
    expect(tick(state, 0)).toEqual([])
    expect(state.maintenance).toEqual({ phase: 'active' })
  })

  it('a second request never extends the deadline', () => {
    const state = leaderState()
    foldEvent(state, { type: 'drain-requested', reason: 'local', deadlineMs: 200 }, config, 0)
    foldEvent(
      state,
      { type: 'drain-requested', reason: 'tab-closing', deadlineMs: 5_000 },
      config,
      100,
    )
    expect(state.maintenance).toMatchObject({ phase: 'draining', deadline: 200 })
  })

  it('a draining peer starts no runtimes, dials or sync sessions', () => {
    const state = createControlState(SELF)
    foldEvent(
      state,
      { type: 'channel-opened', channel: ch('new'), replicaSet: [SELF, FAR] },
      config,
      0,
    )
    foldEvent(state, { type: 'drain-requested', reason: 'tab-closing' }, config, 0)
    expect(reconcile(state, config, 0).map((a) => a.kind)).toEqual(['drain-start', 'drain-finish'])
  })
})

describe('drain: end to end through the loop', () => {
  it('hands off the moment a tab closes, so failover waits on no heartbeat timeout', async () => {
    const { loop, clock } = makeTestLoop({ config: { tickIntervalMs: 100 } })
    const handle = loop.acquireHandle()
    loop.start()
    for (const event of [
      { type: 'peer-connected', peer: NEAR },
      { type: 'channel-opened', channel: ch('a'), replicaSet: [SELF, NEAR] },
      { type: 'role-changed', channel: ch('a'), role: 'leader', leader: SELF },
    ] satisfies FactEvent[]) {
      await handle.publish(event)
    }
    await clock.advanceAsync(100)
    while (loop.actions.take() !== undefined) {}

    // The executor: a hand-off is answered by the runtime reporting its new role.
    const executed: PendingAction[] = []
    const executor = (async () => {
      for (
        let next = await loop.actions.next();
        next !== undefined;
        next = await loop.actions.next()
      ) {
        executed.push(next)
        if (next.action.kind === 'hand-off-leadership') {
          const { channel, to } = next.action
          await handle.publish({ type: 'role-changed', channel, role: 'replica', leader: to })
        }
      }
    })()

    await clock.advanceAsync(50)
    await handle.publish({ type: 'drain-requested', reason: 'tab-closing' })
    await clock.advanceAsync(0)
    // The closing tab pulled the tick in: the hand-off went out at 150, not at the 200 tick.
    expect(executed.map((p) => `${p.action.kind}@${p.emittedAt}`)).toEqual([
      'drain-start@150',
      'hand-off-leadership@150',
    ])
    await clock.advanceAsync(100)
    expect(executed.map((p) => `${p.action.kind}@${p.emittedAt}`)).toContain('drain-finish@250')
    expect(loop.snapshot().maintenance).toEqual({
      phase: 'drained',
      reason: 'tab-closing',
      at: 250,
    })
    const finish = defined(executed.find((p) => p.action.kind === 'drain-finish'))
    expect(finish.action).toEqual({ kind: 'drain-finish', outcome: 'drained', stillLeading: [] })
    await loop.stop()
    await executor
  })
})
