import { describe, expect, it } from 'vitest'
import { channelId, type Seq } from '../log/ids.js'
import { ManualClock } from '../time/manual-clock.js'
import { type ChainAnnouncer, ReplicationCoordinator, type RoleChange } from './coordinator.js'
import { REPLICA_ROLES, type ReplicaRole } from './messages.js'
import {
  AnnouncementFailedError,
  InvalidTransitionError,
  TransitionSignalError,
} from './replication-errors.js'
import { promote } from './replication-test-kit.js'
import { checkTransition, isTransitionAllowed, TRANSITION_SIGNALS } from './transition-rules.js'

const CH = channelId('coordinator-test')

const VALID: [ReplicaRole, ReplicaRole, string][] = [
  ['idle', 'replica', 'capability-selected'],
  ['replica', 'candidate', 'missed-heartbeats'],
  ['candidate', 'leader', 'election-won'],
  ['candidate', 'replica', 'election-lost'],
  ['replica', 'leader', 'handoff-accepted'],
  ['candidate', 'leader', 'handoff-accepted'],
  ['leader', 'replica', 'peer-leader-observed'],
  ['leader', 'idle', 'graceful-relinquish'],
  ['leader', 'idle', 'leader-disk-pressure-withdraw'],
  ['replica', 'idle', 'disk-pressure-withdraw'],
  ['candidate', 'idle', 'candidate-disk-pressure-withdraw'],
  ['leader', 'idle', 'channel-close'],
  ['replica', 'idle', 'channel-close'],
  ['candidate', 'idle', 'channel-close'],
  ['idle', 'idle', 'channel-close'],
]

describe('role transitions follow the state machine', () => {
  it('allows exactly the listed (from, to, signal) cells', () => {
    const valid = new Set(VALID.map((cell) => cell.join(' ')))
    for (const from of REPLICA_ROLES) {
      for (const to of REPLICA_ROLES) {
        for (const signal of TRANSITION_SIGNALS) {
          const expected = valid.has(`${from} ${to} ${signal}`)
          expect(isTransitionAllowed(from, to, signal), `${from} → ${to} by ${signal}`).toBe(
            expected,
          )
        }
      }
    }
  })

  it('tells an impossible pair from a wrong signal', () => {
    expect(() => checkTransition('idle', 'leader', 'election-won')).toThrow(InvalidTransitionError)
    expect(() => checkTransition('replica', 'idle', 'election-won')).toThrow(TransitionSignalError)
    expect(() => checkTransition('leader', 'leader', 'election-won')).toThrow(
      InvalidTransitionError,
    )
    expect(() => checkTransition('leader', 'candidate', 'missed-heartbeats')).toThrow(
      InvalidTransitionError,
    )
    try {
      checkTransition('idle', 'replica', 'election-won')
      expect.unreachable()
    } catch (error) {
      expect(error).toBeInstanceOf(TransitionSignalError)
      expect((error as TransitionSignalError).code).toBe('ERR_TRANSITION_SIGNAL')
      expect((error as TransitionSignalError).details).toEqual({
        from: 'idle',
        to: 'replica',
        signal: 'election-won',
      })
    }
  })
})

describe('the coordinator applies role changes', () => {
  it('switches the role synchronously, counts it and emits role-changed', async () => {
    const coordinator = new ReplicationCoordinator({ channel: CH })
    const seen: RoleChange[] = []
    coordinator.on('role-changed', (event) => seen.push(event.detail))
    const pending = coordinator.transitionTo('replica', 'capability-selected')
    expect(coordinator.role).toBe('replica')
    await pending
    await coordinator.transitionTo('candidate', 'missed-heartbeats')
    await coordinator.transitionTo('leader', 'election-won')
    expect(seen).toEqual([
      { from: 'idle', to: 'replica', signal: 'capability-selected' },
      { from: 'replica', to: 'candidate', signal: 'missed-heartbeats' },
      { from: 'candidate', to: 'leader', signal: 'election-won' },
    ])
    const snapshot = coordinator.metrics.snapshot()
    expect(snapshot.electionThrashTotal).toBe(1)
    expect(snapshot.leaderChangesTotal).toBe(1)
    expect(snapshot.transitionsBySignal['election-won']).toBe(1)
  })

  it('rejects an invalid transition, leaving the role and counting it', async () => {
    const coordinator = new ReplicationCoordinator({ channel: CH })
    await expect(coordinator.transitionTo('leader', 'election-won')).rejects.toBeInstanceOf(
      InvalidTransitionError,
    )
    expect(coordinator.role).toBe('idle')
    expect(coordinator.metrics.get('invalidTransitionsTotal')).toBe(1)
  })

  it('treats a second channel-close on an idle peer as a no-op', async () => {
    const coordinator = new ReplicationCoordinator({ channel: CH })
    let events = 0
    coordinator.on('role-changed', () => {
      events += 1
    })
    await coordinator.transitionTo('idle', 'channel-close')
    expect(events).toBe(0)
    expect(coordinator.metrics.get('invalidTransitionsTotal')).toBe(0)
  })

  it('keeps the advertised tail monotonic', () => {
    const coordinator = new ReplicationCoordinator({ channel: CH })
    coordinator.recordTailSeq(50 as Seq)
    coordinator.recordTailSeq(20 as Seq)
    expect(coordinator.tailSeq).toBe(50)
  })
})

describe('the coordinator announces the chain after each role change', () => {
  function recordingAnnouncer(log: string[], gate?: Promise<void>): ChainAnnouncer {
    return {
      announce: async (_channel, tip) => {
        log.push(`announce start ${tip}`)
        log.push(`announce ${tip}`)
      },
      withdraw: async () => {
        log.push('withdraw start')
        await gate
        log.push('withdraw')
      },
    }
  }

  it('announces as leader or replica with the advertised tail, withdraws on idle', async () => {
    const log: string[] = []
    const coordinator = new ReplicationCoordinator({
      channel: CH,
      announcer: recordingAnnouncer(log),
    })
    coordinator.recordTailSeq(7 as Seq)
    await promote(coordinator, 'leader')
    await coordinator.transitionTo('idle', 'graceful-relinquish')
    // No announcement for the transient candidate role.
    expect(log.filter((line) => !line.includes('start'))).toEqual([
      'announce 7',
      'announce 7',
      'withdraw',
    ])
  })

  it('runs announcements one at a time, in transition order', async () => {
    const log: string[] = []
    let open: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const coordinator = new ReplicationCoordinator({
      channel: CH,
      announcer: recordingAnnouncer(log, gate),
    })
    await coordinator.transitionTo('replica', 'capability-selected')
    const withdraw = coordinator.transitionTo('idle', 'channel-close')
    const announce = coordinator.transitionTo('replica', 'capability-selected')
    await Promise.resolve()
    expect(log).toEqual(['announce start 0', 'announce 0', 'withdraw start'])
    open()
    await Promise.all([withdraw, announce])
    expect(log.slice(3)).toEqual(['withdraw', 'announce start 0', 'announce 0'])
  })

  it('reports a failed announcement after the role has moved', async () => {
    const coordinator = new ReplicationCoordinator({
      channel: CH,
      announcer: {
        announce: () => Promise.reject(new Error('sink down')),
        withdraw: async () => undefined,
      },
    })
    const pending = coordinator.transitionTo('replica', 'capability-selected')
    await expect(pending).rejects.toBeInstanceOf(AnnouncementFailedError)
    expect(coordinator.role).toBe('replica')
    expect(coordinator.metrics.get('announcementFailuresTotal')).toBe(1)
  })

  it('gives up on an announcement that does not settle in time', async () => {
    const clock = new ManualClock()
    const coordinator = new ReplicationCoordinator({
      channel: CH,
      clock,
      announceTimeoutMs: 1_000,
      announcer: { announce: () => new Promise(() => undefined), withdraw: async () => undefined },
    })
    let settled: unknown
    coordinator.transitionTo('replica', 'capability-selected').then(
      () => {
        settled = 'resolved'
      },
      (error: unknown) => {
        settled = error
      },
    )
    await clock.advanceAsync(999)
    expect(settled).toBeUndefined()
    await clock.advanceAsync(1)
    expect(settled).toBeInstanceOf(AnnouncementFailedError)
    expect(clock.pendingTimers()).toBe(0)
  })
})
