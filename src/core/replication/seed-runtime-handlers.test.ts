/**
 * seed 001 tests that call `on_inbound` / `on_tick` directly with
 * hand-built state, ported one to one under their Rust names: here they
 * call `onInbound` / `onTick` with a RuntimeContext from the test kit.
 */
import { describe, expect, it } from 'vitest'
import type { Seq } from '../log/ids.js'
import { BandwidthBudget } from './bandwidth-budget.js'
import { CATCHUP_BACKOFF_THRESHOLD } from './catchup-backoff.js'
import type { BandwidthClass, NackReason } from './messages.js'
import { onInbound } from './on-inbound.js'
import { onTick } from './on-tick.js'
import {
  CHANNEL,
  contextFor,
  heartbeatFrom,
  type Kit,
  makeKit,
  N10,
  N20,
  N30,
  N99,
  promote,
  responseOf,
  syncRequestFrom,
  WRONG_CHANNEL,
  writerFor,
} from './replication-test-kit.js'

function syncRequest(from = N20, bandwidthClass: BandwidthClass = 'foreground', channel = CHANNEL) {
  return syncRequestFrom(from, 0, { chunkMax: 1024, bandwidthClass, channel })
}

function nack(reason: NackReason, sinceSeq: number, leaderFirstRetainedSeq: number) {
  return {
    kind: 'sync-nack' as const,
    from: N20,
    message: {
      channelId: CHANNEL,
      sinceSeq: sinceSeq as Seq,
      reason,
      leaderFirstRetainedSeq: leaderFirstRetainedSeq as Seq,
      requestId: 0n,
      detail: '',
    },
  }
}

function tightBudget(kit: Kit): BandwidthBudget {
  // capacity 100 bytes: a background request must leave (1 - 0.3) × 100 = 70.
  return new BandwidthBudget({ fraction: 1, peakBytesPerSecond: 100, now: kit.clock.now() })
}

describe('seed 001: replication runtime', () => {
  it('peer_leader_observation_demotes_loser_to_replica', async () => {
    const kit = await makeKit() // local tail 42
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 99))
    // 42 < 99: the local leader loses and concedes.
    expect(kit.coordinator.role).toBe('replica')
    expect(kit.coordinator.metrics.snapshot().transitionsBySignal['peer-leader-observed']).toBe(1)
  })

  it('peer_leader_tail_tie_lower_node_id_wins', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 42))
    // Equal tails: node-10 < node-20 keeps leading.
    expect(kit.coordinator.role).toBe('leader')
  })

  it('leader_on_tick_clamps_advertised_tail_to_max_peer_tail', async () => {
    const kit = await makeKit({ tail: 100 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    // The replica confirmed only 50 of the leader's 100 entries.
    ctx.tracker.recordHeartbeat(N20, 'replica', 50 as Seq, kit.clock.now())
    await onTick(ctx)
    expect(kit.coordinator.tailSeq).toBe(50)
  })

  it('leader_on_tick_falls_back_to_local_tail_with_no_peers', async () => {
    const kit = await makeKit({ tail: 77 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await onTick(ctx)
    expect(kit.coordinator.tailSeq).toBe(77)
  })

  it('empty_response_does_not_strike_on_stale_heartbeat', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    // The leader claimed tail 200, ten seconds ago (the window is 3 × 100 ms).
    ctx.tracker.recordHeartbeat(N20, 'leader', 200 as Seq, kit.clock.now())
    kit.clock.advance(10_000)
    const emptyAnswer = () => {
      ctx.outstanding.record(N20, 0n, kit.clock.now())
      return onInbound(ctx, { kind: 'sync-response', from: N20, message: responseOf([], 0n, 0) })
    }
    await emptyAnswer()
    expect(ctx.backoff.isInBackoff(N20, kit.clock.now())).toBe(false)
    for (let i = 0; i < CATCHUP_BACKOFF_THRESHOLD + 1; i++) await emptyAnswer()
    // Every answer was applied, and none counted as a strike.
    expect(kit.coordinator.metrics.get('syncResponsesAppliedTotal')).toBe(
      CATCHUP_BACKOFF_THRESHOLD + 2,
    )
    expect(ctx.backoff.strikes(N20)).toBe(0)
    expect(ctx.backoff.isInBackoff(N20, kit.clock.now())).toBe(false)
  })

  it('sync_request_post_op_role_flip_emits_notleader_nack', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    await kit.coordinator.transitionTo('idle', 'graceful-relinquish')
    await onInbound(ctx, syncRequest())
    expect(kit.dispatcher.syncNacks).toHaveLength(1)
    const [sent] = kit.dispatcher.syncNacks
    expect(sent?.target).toBe(N20)
    expect(sent?.message.reason).toBe('not-leader')
    expect(sent?.message.channelId).toBe(CHANNEL)
    expect(kit.dispatcher.syncResponses).toHaveLength(0)
  })

  it('sync_request_with_wrong_channel_id_is_dropped', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    await onInbound(ctx, syncRequest(N20, 'foreground', WRONG_CHANNEL))
    expect(kit.dispatcher.syncNacks).toHaveLength(0)
    expect(kit.dispatcher.syncResponses).toHaveLength(0)
    expect(ctx.drops.get('wrong-channel')).toBe(1)
  })

  it('inbound_from_non_replica_set_peer_is_dropped', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    // A well-formed chunk the apply path would accept, with a live token:
    // only membership stands between it and our log.
    ctx.outstanding.record(N99, 7n, kit.clock.now())
    const entries = writerFor(kit, N99).next(3)
    await onInbound(ctx, { kind: 'sync-response', from: N99, message: responseOf(entries, 7n, 0) })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    // Nor may its heartbeat seed the tracker.
    await onInbound(ctx, heartbeatFrom(N99, 'leader', 7))
    expect(ctx.tracker.believedLeader).toBeUndefined()
    expect(ctx.drops.get('not-in-replica-set')).toBe(2)
  })

  it('sync_response_from_non_leader_replica_peer_is_dropped', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20, N30], heartbeatMs: 60_000 })
    ctx.tracker.recordHeartbeat(N20, 'leader', 0 as Seq, kit.clock.now())
    expect(ctx.tracker.believedLeader).toBe(N20)
    // 0x30 is a member with a live token, but not the leader we follow.
    ctx.outstanding.record(N30, 7n, kit.clock.now())
    const entries = writerFor(kit, N30).next(3)
    await onInbound(ctx, { kind: 'sync-response', from: N30, message: responseOf(entries, 7n, 0) })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    expect(ctx.drops.get('not-believed-leader')).toBe(1)
  })

  it('sync_nack_notleader_clears_believed_leader', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    ctx.tracker.recordHeartbeat(N20, 'leader', 99 as Seq, kit.clock.now())
    expect(ctx.tracker.believedLeader).toBe(N20)
    ctx.outstanding.record(N20, 0n, kit.clock.now())
    await onInbound(ctx, nack('not-leader', 0, 0))
    expect(ctx.tracker.believedLeader).toBeUndefined()
  })

  it('sync_nack_badrange_skips_local_tail', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    ctx.tracker.recordHeartbeat(N20, 'leader', 41 as Seq, kit.clock.now())
    ctx.outstanding.record(N20, 0n, kit.clock.now())
    // Asked from 42, the leader holds from 100 on: jump there in one round
    // trip, not to 43.
    await onInbound(ctx, nack('bad-range', 42, 100))
    expect(kit.store.state(CHANNEL).nextSeq).toBe(100)
    expect(kit.coordinator.metrics.get('skipAheadTotal')).toBe(1)
  })

  it('replica_on_tick_stamps_inputs_default_bandwidth_class_on_sync_request', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 100,
      bandwidthClass: 'background',
    })
    ctx.tracker.recordHeartbeat(N20, 'leader', 50 as Seq, kit.clock.now())
    await onTick(ctx)
    expect(kit.dispatcher.syncRequests).toHaveLength(1)
    const [request] = kit.dispatcher.syncRequests
    expect(request?.target).toBe(N20)
    expect(request?.message.bandwidthClass).toBe('background')
  })

  it('leader_serve_path_uses_class_aware_admission_for_background_request', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 60_000,
      budget: tightBudget(kit),
    })
    // The empty answer costs 47 bytes; 100 - 47 = 53 < 70 reserved.
    await onInbound(ctx, syncRequest(N20, 'background'))
    expect(kit.dispatcher.syncNacks).toHaveLength(1)
    const [sent] = kit.dispatcher.syncNacks
    expect(sent?.target).toBe(N20)
    expect(sent?.message.reason).toBe('backpressure')
    expect(kit.dispatcher.syncResponses).toHaveLength(0)
  })

  it('leader_serve_path_admits_foreground_under_tight_budget', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 60_000,
      budget: tightBudget(kit),
    })
    await onInbound(ctx, syncRequest(N20, 'foreground'))
    expect(kit.dispatcher.syncNacks).toHaveLength(0)
    expect(kit.dispatcher.syncResponses).toHaveLength(1)
  })
})
