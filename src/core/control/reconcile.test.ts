import { describe, expect, it } from 'vitest'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import type { ControlAction } from './control-actions.js'
import { resolveControlConfig } from './control-config.js'
import { type ControlState, createControlState } from './control-state.js'
import { applyAdminCommand } from './fold-admin.js'
import { type FactEvent, foldEvent } from './fold-event.js'
import { reconcile, recordQueuedAction } from './reconcile.js'

const config = resolveControlConfig({ actionRetryMs: 100, syncIntervalMs: 1_000 })
const SELF = peerId('self')
const A = peerId('a')
const B = peerId('b')
const ch = (name: string): ChannelId => channelId(name)

function stateWith(...events: FactEvent[]): ControlState {
  const state = createControlState(SELF)
  for (const event of events) expect(foldEvent(state, event, config, 0)).toBeUndefined()
  return state
}

/** Reconciles at `now` and records every action as queued, like a loop with room. */
function tick(state: ControlState, now: number): ControlAction[] {
  const actions = reconcile(state, config, now)
  for (const action of actions) recordQueuedAction(state, action, config, now)
  return actions
}

const kinds = (actions: ControlAction[]) => actions.map((a) => a.kind)

describe('reconcile: channel runtimes', () => {
  it('starts a runtime for a channel opened here, once, and re-emits only after actionRetryMs', () => {
    const state = stateWith({ type: 'channel-opened', channel: ch('chat') })
    expect(tick(state, 0)).toEqual([
      { kind: 'start-runtime', channel: 'chat', replicaSet: [SELF], replicaSetVersion: 1 },
    ])
    expect(tick(state, 50)).toEqual([])
    expect(kinds(tick(state, 100))).toEqual(['start-runtime'])
    foldEvent(state, { type: 'runtime-started', channel: ch('chat') }, config, 100)
    expect(tick(state, 500)).toEqual([])
  })

  it('runs an admin-created channel only on members of its replica set', () => {
    const member = createControlState(SELF)
    applyAdminCommand(
      member,
      { type: 'create-channel', channel: ch('x'), replicaSet: [SELF, A] },
      config,
      0,
    )
    expect(kinds(reconcile(member, config, 0))).toContain('start-runtime')
    const outsider = createControlState(SELF)
    applyAdminCommand(
      outsider,
      { type: 'create-channel', channel: ch('x'), replicaSet: [A, B] },
      config,
      0,
    )
    expect(kinds(reconcile(outsider, config, 0))).not.toContain('start-runtime')
  })

  it('pushes a changed replica set to a running runtime exactly once', () => {
    const state = stateWith({ type: 'channel-opened', channel: ch('x'), replicaSet: [SELF, A] })
    tick(state, 0)
    foldEvent(state, { type: 'runtime-started', channel: ch('x') }, config, 0)
    applyAdminCommand(
      state,
      { type: 'set-replica-set', channel: ch('x'), replicaSet: [SELF, B] },
      config,
      0,
    )
    expect(tick(state, 10).filter((a) => a.kind === 'apply-replica-set')).toEqual([
      { kind: 'apply-replica-set', channel: 'x', replicaSet: [SELF, B], replicaSetVersion: 2 },
    ])
    expect(tick(state, 20).filter((a) => a.kind === 'apply-replica-set')).toEqual([])
  })

  it('leaves a set the app changed in place alone: the node runs it already, and an apply could undo a newer one', () => {
    const state = stateWith(
      { type: 'channel-opened', channel: ch('room'), replicaSet: [SELF] },
      { type: 'runtime-started', channel: ch('room') },
    )
    expect(kinds(tick(state, 0))).toEqual([])
    // The room grew twice (in place); each report is what the node runs.
    foldEvent(
      state,
      { type: 'channel-opened', channel: ch('room'), replicaSet: [SELF, A] },
      config,
      10,
    )
    foldEvent(
      state,
      { type: 'channel-opened', channel: ch('room'), replicaSet: [SELF, A, B] },
      config,
      20,
    )
    expect(tick(state, 30).filter((a) => a.kind === 'apply-replica-set')).toEqual([])
    expect(state.channels.get(ch('room'))?.replicaSet).toEqual([SELF, A, B])
  })

  it('stops a runtime whose channel was closed or retired, with the reason', () => {
    const state = stateWith(
      { type: 'channel-opened', channel: ch('a') },
      { type: 'channel-opened', channel: ch('b') },
      { type: 'runtime-started', channel: ch('a') },
      { type: 'runtime-started', channel: ch('b') },
      { type: 'channel-closed', channel: ch('a') },
    )
    applyAdminCommand(state, { type: 'retire-channel', channel: ch('b') }, config, 0)
    expect(tick(state, 0)).toEqual([
      { kind: 'stop-runtime', channel: 'a', reason: 'closed' },
      { kind: 'stop-runtime', channel: 'b', reason: 'retired' },
    ])
    expect(tick(state, 10)).toEqual([])
    expect(kinds(tick(state, 100))).toEqual(['stop-runtime', 'stop-runtime'])
  })

  it('a leader dropped from the replica set hands off first and stops after handoffTimeoutMs', () => {
    const cfg = resolveControlConfig({ handoffRetryMs: 10, handoffTimeoutMs: 50 })
    const state = stateWith(
      { type: 'channel-opened', channel: ch('x'), replicaSet: [SELF, A] },
      { type: 'peer-connected', peer: A },
      { type: 'role-changed', channel: ch('x'), role: 'leader', leader: SELF },
    )
    applyAdminCommand(
      state,
      { type: 'set-replica-set', channel: ch('x'), replicaSet: [A, B] },
      cfg,
      0,
    )
    foldEvent(state, { type: 'channel-closed', channel: ch('x') }, cfg, 0)
    const run = (now: number) => {
      const out = reconcile(state, cfg, now).filter(
        (a) => a.kind !== 'dial-peer' && a.kind !== 'start-sync',
      )
      for (const action of out) recordQueuedAction(state, action, cfg, now)
      return out
    }
    expect(run(0)).toEqual([
      { kind: 'hand-off-leadership', channel: 'x', to: A, reason: 'leaving-replica-set' },
    ])
    expect(run(5)).toEqual([])
    expect(kinds(run(10))).toEqual(['hand-off-leadership'])
    expect(run(50)).toEqual([{ kind: 'stop-runtime', channel: 'x', reason: 'not-in-replica-set' }])
  })
})

describe('reconcile: dials', () => {
  it('dials replica-set peers it is not connected to, backing off exponentially until connected', () => {
    const cfg = resolveControlConfig({ dialBackoffBaseMs: 100, dialBackoffMaxMs: 350 })
    const state = stateWith({ type: 'channel-opened', channel: ch('x'), replicaSet: [SELF, A] })
    const dials = (now: number) => {
      const out = reconcile(state, cfg, now).filter((a) => a.kind === 'dial-peer')
      for (const action of out) recordQueuedAction(state, action, cfg, now)
      return out.map((a) => (a.kind === 'dial-peer' ? `${a.peer}#${a.attempt}@${now}` : ''))
    }
    const seen: string[] = []
    for (let now = 0; now <= 1_000; now += 50) seen.push(...dials(now))
    expect(seen).toEqual(['a#1@0', 'a#2@100', 'a#3@300', 'a#4@650', 'a#5@1000'])
    foldEvent(state, { type: 'peer-connected', peer: A }, cfg, 1_000)
    expect(dials(5_000)).toEqual([])
    expect(state.dials.has(A)).toBe(false)
  })

  it('never dials a peer an admin is draining', () => {
    const state = stateWith({ type: 'channel-opened', channel: ch('x'), replicaSet: [SELF, A, B] })
    applyAdminCommand(state, { type: 'drain-peer', peer: A }, config, 0)
    const dialed = reconcile(state, config, 0).flatMap((a) =>
      a.kind === 'dial-peer' ? [a.peer] : [],
    )
    expect(dialed).toEqual([B])
  })
})

describe('reconcile: sync sessions', () => {
  it('syncs each running channel with the leader when reachable, else the nearest replica, once per interval', () => {
    const state = stateWith(
      { type: 'channel-opened', channel: ch('x'), replicaSet: [SELF, A, B] },
      { type: 'runtime-started', channel: ch('x') },
      { type: 'peer-connected', peer: A },
      { type: 'peer-connected', peer: B },
      { type: 'rtt-sample', peer: A, rttMs: 80 },
      { type: 'rtt-sample', peer: B, rttMs: 20 },
    )
    const syncs = (now: number) => tick(state, now).filter((a) => a.kind === 'start-sync')
    expect(syncs(0)).toEqual([{ kind: 'start-sync', channel: 'x', peer: B }])
    expect(syncs(999)).toEqual([])
    foldEvent(
      state,
      { type: 'role-changed', channel: ch('x'), role: 'replica', leader: A },
      config,
      0,
    )
    expect(syncs(1_000)).toEqual([{ kind: 'start-sync', channel: 'x', peer: A }])
  })
})

describe('reconcile: storage pressure', () => {
  it('withdraws one non-leader channel per tick, largest first, and rejoins below the low watermark', () => {
    const state = stateWith(
      { type: 'channel-opened', channel: ch('small') },
      { type: 'channel-opened', channel: ch('big') },
      { type: 'channel-opened', channel: ch('led') },
      { type: 'runtime-started', channel: ch('small') },
      { type: 'runtime-started', channel: ch('big') },
      { type: 'role-changed', channel: ch('led'), role: 'leader', leader: SELF },
      { type: 'storage-estimate', usageBytes: 95, quotaBytes: 100 },
    )
    state.inventory.set(SELF, { logBytes: { small: 10, big: 500, led: 9_000 } })
    const storage = (now: number) =>
      tick(state, now).filter((a) => a.kind === 'withdraw' || a.kind === 'rejoin')
    expect(storage(0)).toEqual([
      { kind: 'withdraw', channel: 'big', reason: 'storage-pressure', usageRatio: 0.95 },
    ])
    expect(storage(1).map((a) => a.channel)).toEqual(['small'])
    // The channel this peer leads is never withdrawn by the control loop.
    expect(storage(2)).toEqual([])
    foldEvent(state, { type: 'storage-estimate', usageBytes: 85, quotaBytes: 100 }, config, 3)
    expect(storage(3)).toEqual([])
    foldEvent(state, { type: 'storage-estimate', usageBytes: 50, quotaBytes: 100 }, config, 4)
    expect(storage(4)).toEqual([
      { kind: 'rejoin', channel: 'big' },
      { kind: 'rejoin', channel: 'small' },
    ])
    expect(state.withdrawn.size).toBe(0)
  })

  it('forgets a withdrawal when its runtime stops', () => {
    const state = stateWith(
      { type: 'channel-opened', channel: ch('x') },
      { type: 'runtime-started', channel: ch('x') },
      { type: 'storage-estimate', usageBytes: 99, quotaBytes: 100 },
    )
    expect(kinds(tick(state, 0))).toContain('withdraw')
    foldEvent(state, { type: 'runtime-stopped', channel: ch('x') }, config, 1)
    expect(state.withdrawn.size).toBe(0)
  })

  it('does not sync or dial for a withdrawn channel', () => {
    const state = stateWith(
      { type: 'channel-opened', channel: ch('x'), replicaSet: [SELF, A] },
      { type: 'runtime-started', channel: ch('x') },
    )
    state.withdrawn.add(ch('x'))
    expect(
      kinds(reconcile(state, config, 0)).filter((k) => k === 'dial-peer' || k === 'start-sync'),
    ).toEqual([])
  })
})

describe('reconcile: purity', () => {
  it('returns the same actions for the same state and leaves the state untouched', () => {
    const state = stateWith(
      { type: 'channel-opened', channel: ch('x'), replicaSet: [SELF, A, B] },
      { type: 'channel-opened', channel: ch('y') },
      { type: 'peer-connected', peer: B },
    )
    const before = JSON.stringify([...state.channels, ...state.runtimes, ...state.dials])
    const first = reconcile(state, config, 7)
    expect(reconcile(state, config, 7)).toEqual(first)
    expect(JSON.stringify([...state.channels, ...state.runtimes, ...state.dials])).toBe(before)
  })

  it('caps tracked peers and channels, rejecting the overflow', () => {
    const cfg = resolveControlConfig({ maxPeers: 2, maxChannels: 1 })
    const state = createControlState(SELF)
    const peers: PeerId[] = [A, B, peerId('c')]
    expect(peers.map((peer) => foldEvent(state, { type: 'peer-connected', peer }, cfg, 0))).toEqual(
      [undefined, undefined, 'peer_cap'],
    )
    expect(foldEvent(state, { type: 'channel-opened', channel: ch('one') }, cfg, 0)).toBeUndefined()
    expect(foldEvent(state, { type: 'channel-opened', channel: ch('two') }, cfg, 0)).toBe(
      'channel_cap',
    )
    expect(foldEvent(state, { type: 'rtt-sample', peer: A, rttMs: -1 }, cfg, 0)).toBe(
      'invalid_event',
    )
  })
})
