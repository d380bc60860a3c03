import { describe, expect, it } from 'vitest'
import type { Seq } from '../log/ids.js'
import { HeartbeatTracker } from './heartbeat-tracker.js'
import { N10, N20, N30 } from './replication-test-kit.js'

const T0 = 5_000
const tail = (n: number) => n as Seq

describe('a leader is silent after missThreshold × heartbeatMs without a heartbeat', () => {
  it('is silent exactly at the window, not a millisecond before', () => {
    const tracker = new HeartbeatTracker(500)
    tracker.recordHeartbeat(N20, 'leader', tail(1), T0)
    expect(tracker.isLeaderSilent(T0 + 1_499)).toBe(false)
    expect(tracker.isLeaderSilent(T0 + 1_500)).toBe(true)
    tracker.recordHeartbeat(N20, 'leader', tail(2), T0 + 1_500)
    expect(tracker.isLeaderSilent(T0 + 1_600)).toBe(false)
  })

  it('clamps a zero miss threshold to one', () => {
    expect(new HeartbeatTracker(100, 0).missThreshold).toBe(1)
  })

  it('lists as healthy only peers heard within the window, sorted', () => {
    const tracker = new HeartbeatTracker(100)
    tracker.recordHeartbeat(N30, 'replica', tail(0), T0)
    tracker.recordHeartbeat(N20, 'replica', tail(0), T0 - 300)
    expect(tracker.healthyPeers(T0 + 10)).toEqual([N30])
    tracker.recordHeartbeat(N20, 'replica', tail(0), T0)
    expect(tracker.healthyPeers(T0 + 10)).toEqual([N20, N30])
  })
})

describe('the tracker follows one leader', () => {
  it('keeps the smallest id among concurrent leader claimants', () => {
    const tracker = new HeartbeatTracker(500)
    tracker.recordHeartbeat(N30, 'leader', tail(2), T0)
    tracker.recordHeartbeat(N20, 'leader', tail(1), T0 + 100)
    expect(tracker.believedLeader).toBe(N20)
    tracker.recordHeartbeat(N30, 'leader', tail(3), T0 + 200)
    expect(tracker.believedLeader).toBe(N20)
  })

  it('drops the belief when the followed peer reports it no longer leads', () => {
    const tracker = new HeartbeatTracker(500)
    tracker.recordHeartbeat(N20, 'leader', tail(1), T0)
    tracker.recordHeartbeat(N10, 'replica', tail(1), T0)
    expect(tracker.believedLeader).toBe(N20)
    tracker.recordHeartbeat(N20, 'replica', tail(1), T0 + 10)
    expect(tracker.believedLeader).toBeUndefined()
    tracker.recordHeartbeat(N30, 'leader', tail(5), T0 + 20)
    expect(tracker.believedLeader).toBe(N30)
  })

  it('keeps peer observations when the belief is cleared', () => {
    const tracker = new HeartbeatTracker(500)
    tracker.recordHeartbeat(N20, 'leader', tail(9), T0)
    tracker.clearBelievedLeader(T0)
    expect(tracker.believedLeader).toBeUndefined()
    expect(tracker.peerState(N20)?.tailSeq).toBe(9)
  })
})

describe('a replica with no leader for a whole window counts as leaderless (beyond the seed)', () => {
  it('is leaderless only after markLeaderless and the window', () => {
    const tracker = new HeartbeatTracker(100)
    expect(tracker.isLeaderlessTooLong(T0 + 10_000)).toBe(false)
    tracker.markLeaderless(T0)
    expect(tracker.isLeaderlessTooLong(T0 + 299)).toBe(false)
    expect(tracker.isLeaderlessTooLong(T0 + 300)).toBe(true)
    // Without a leader, plain silence detection stays quiet (the seed's rule).
    expect(tracker.isLeaderSilent(T0 + 300)).toBe(false)
  })

  it('ends when a leader heartbeat arrives', () => {
    const tracker = new HeartbeatTracker(100)
    tracker.markLeaderless(T0)
    tracker.recordHeartbeat(N20, 'leader', tail(0), T0 + 50)
    expect(tracker.isLeaderlessTooLong(T0 + 1_000)).toBe(false)
  })
})
