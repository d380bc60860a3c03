import { describe, expect, it } from 'vitest'
import type { PeerId, Seq } from '../log/ids.js'
import { HeartbeatTracker } from './heartbeat-tracker.js'
import type { ReplicaRole } from './messages.js'
import { CHANNEL, N10, N20, N30 } from './replication-test-kit.js'
import { type TickInputs, tick } from './tick.js'

const NOW = 10_000

function inputs(role: ReplicaRole, tracker = new HeartbeatTracker(100), tail = 5): TickInputs {
  return {
    self: N10,
    role,
    channelId: CHANNEL,
    tailSeq: tail as Seq,
    replicaSet: [N10, N20, N30],
    tracker,
    wallClockMs: 1_700_000_000_000,
    chunkMax: 4096,
    bandwidthClass: 'background',
    now: NOW,
  }
}

function withLeader(leader: PeerId, leaderTail: number, at = NOW): HeartbeatTracker {
  const tracker = new HeartbeatTracker(100)
  tracker.recordHeartbeat(leader, 'leader', leaderTail as Seq, at)
  return tracker
}

describe('tick emits heartbeats by role', () => {
  it('keeps idle and candidate peers silent', () => {
    for (const role of ['idle', 'candidate'] as const) {
      expect(tick(inputs(role))).toEqual({ outbound: [], transition: undefined })
    }
  })

  it('sends a leader heartbeat to every other member, in replica-set order', () => {
    const outcome = tick(inputs('leader'))
    expect(outcome.transition).toBeUndefined()
    expect(outcome.outbound).toEqual(
      [N20, N30].map((target) => ({
        kind: 'heartbeat',
        target,
        message: { channelId: CHANNEL, tailSeq: 5, role: 'leader', wallClockMs: 1_700_000_000_000 },
      })),
    )
  })
})

describe('a replica behind its leader requests a chunk', () => {
  it('asks the believed leader from the local tail with its class and chunk size', () => {
    const outcome = tick(inputs('replica', withLeader(N20, 9)))
    expect(outcome.outbound.filter((m) => m.kind === 'sync-request')).toEqual([
      {
        kind: 'sync-request',
        target: N20,
        message: { channelId: CHANNEL, sinceSeq: 5, chunkMax: 4096, bandwidthClass: 'background' },
      },
    ])
  })

  it('asks nothing when level with the leader', () => {
    const outcome = tick(inputs('replica', withLeader(N20, 5)))
    expect(outcome.outbound.every((m) => m.kind === 'heartbeat')).toBe(true)
  })

  it('never addresses a request to itself (R-15)', () => {
    const outcome = tick(inputs('replica', withLeader(N10, 99)))
    expect(outcome.outbound.some((m) => m.kind === 'sync-request')).toBe(false)
  })
})

describe('a replica whose leader is silent becomes candidate', () => {
  it('requests candidate and no chunk from the stale leader', () => {
    const outcome = tick(inputs('replica', withLeader(N20, 99, NOW - 300)))
    expect(outcome.transition).toEqual({ target: 'candidate', signal: 'missed-heartbeats' })
    expect(outcome.outbound.some((m) => m.kind === 'sync-request')).toBe(false)
  })

  it('also when it has had no leader for a whole window (beyond the seed)', () => {
    const tracker = new HeartbeatTracker(100)
    tracker.markLeaderless(NOW - 299)
    expect(tick(inputs('replica', tracker)).transition).toBeUndefined()
    tracker.markLeaderless(NOW - 300)
    expect(tick(inputs('replica', tracker)).transition).toEqual({
      target: 'candidate',
      signal: 'missed-heartbeats',
    })
  })
})
