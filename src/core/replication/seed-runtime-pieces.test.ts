/**
 * seed 001 tests of the runtime's pure helpers (catch-up backoff, lag
 * observation, disk-pressure handling), ported one to one under their
 * Rust names.
 */
import { describe, expect, it } from 'vitest'
import { peerId, type Seq } from '../log/ids.js'
import { CATCHUP_BACKOFF_THRESHOLD, CatchupBackoff } from './catchup-backoff.js'
import { handleDiskPressure } from './disk-pressure.js'
import { HeartbeatTracker } from './heartbeat-tracker.js'
import { observeLag } from './lag-observation.js'
import { CHANNEL, makeKit, N10, N20, N30, promote, writerFor } from './replication-test-kit.js'

const N42 = peerId('node-42')
const BASE = 10_000

describe('seed 001: replication runtime', () => {
  it('catchup_backoff_threshold_and_reset', () => {
    const backoff = new CatchupBackoff()
    for (let i = 0; i < CATCHUP_BACKOFF_THRESHOLD; i++) backoff.recordEmpty(N20, BASE)
    expect(backoff.isInBackoff(N20, BASE)).toBe(false)
    backoff.recordEmpty(N20, BASE)
    expect(backoff.isInBackoff(N20, BASE)).toBe(true)
    backoff.recordProgress(N20)
    expect(backoff.isInBackoff(N20, BASE)).toBe(false)
  })

  it('observe_lag_idle_emits_none', () => {
    const tracker = new HeartbeatTracker(500)
    expect(observeLag('idle', [N10, N20], N10, tracker, BASE)).toEqual({ kind: 'none' })
  })

  it('observe_lag_candidate_emits_none', () => {
    const tracker = new HeartbeatTracker(500)
    expect(observeLag('candidate', [N10, N20], N10, tracker, BASE)).toEqual({ kind: 'none' })
  })

  it('observe_lag_leader_with_no_peer_observations_emits_none', () => {
    const tracker = new HeartbeatTracker(500)
    expect(observeLag('leader', [N10, N20, N30], N10, tracker, BASE)).toEqual({ kind: 'none' })
  })

  it('observe_lag_leader_picks_worst_replica', () => {
    const tracker = new HeartbeatTracker(500)
    tracker.recordHeartbeat(N20, 'replica', 0 as Seq, BASE)
    tracker.recordHeartbeat(N30, 'replica', 0 as Seq, BASE + 100)
    expect(observeLag('leader', [N10, N20, N30], N10, tracker, BASE + 1000)).toEqual({
      kind: 'leader',
      lagMs: 1000,
    })
  })

  it('observe_lag_replica_emits_believed_leader_lag', () => {
    const tracker = new HeartbeatTracker(500)
    tracker.recordHeartbeat(N42, 'leader', 99 as Seq, BASE)
    expect(observeLag('replica', [N10, N42], N10, tracker, BASE + 250)).toEqual({
      kind: 'replica',
      lagMs: 250,
    })
  })

  it('observe_lag_replica_with_no_believed_leader_emits_none', () => {
    const tracker = new HeartbeatTracker(500)
    expect(observeLag('replica', [N10, N42], N10, tracker, BASE)).toEqual({ kind: 'none' })
  })

  it('observe_lag_leader_skips_self_in_replica_set', () => {
    const tracker = new HeartbeatTracker(500)
    tracker.recordHeartbeat(N20, 'replica', 0 as Seq, BASE)
    // A heartbeat recorded for self (loopback) must not count as a replica.
    tracker.recordHeartbeat(N10, 'replica', 0 as Seq, BASE - 5000)
    expect(observeLag('leader', [N10, N20], N10, tracker, BASE + 500)).toEqual({
      kind: 'leader',
      lagMs: 500,
    })
  })

  it('disk_pressure_withdraw_drives_idle_transition', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    await handleDiskPressure(kit.coordinator, kit.store, CHANNEL, 'withdraw')
    expect(kit.coordinator.role).toBe('idle')
    expect(kit.coordinator.metrics.get('underCapacityTotal')).toBe(1)
  })

  it('disk_pressure_evict_oldest_keeps_role_and_sweeps', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    await kit.store.setRetention(CHANNEL, { maxEntries: 1 })
    await kit.store.append(CHANNEL, writerFor(kit, N20).next(5))
    const outcome = await handleDiskPressure(kit.coordinator, kit.store, CHANNEL, 'evict-oldest')
    expect(kit.coordinator.role).toBe('replica')
    const state = kit.store.state(CHANNEL)
    expect(state.nextSeq - state.firstSeq).toBe(1)
    expect(outcome).toEqual({
      action: 'swept',
      sweep: expect.objectContaining({ evictedEntries: 4 }),
    })
    expect(kit.coordinator.metrics.get('underCapacityTotal')).toBe(1)
  })

  it('disk_pressure_withdraw_from_leader_picks_channel_close_signal', async () => {
    // The name predates the seed's own fix: the withdraw from Leader now
    // uses the leader-specific signal (so dashboards do not read it as a
    // graceful close). What the test pins is unchanged: the leader does
    // withdraw instead of having the transition rejected.
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    await handleDiskPressure(kit.coordinator, kit.store, CHANNEL, 'withdraw')
    expect(kit.coordinator.role).toBe('idle')
    const bySignal = kit.coordinator.metrics.snapshot().transitionsBySignal
    expect(bySignal['leader-disk-pressure-withdraw']).toBe(1)
  })

  it('disk_pressure_withdraw_is_idempotent_on_idle_already', async () => {
    const kit = await makeKit()
    const outcome = await handleDiskPressure(kit.coordinator, kit.store, CHANNEL, 'withdraw')
    expect(kit.coordinator.role).toBe('idle')
    expect(outcome).toEqual({ action: 'withdrew', signal: 'channel-close' })
    expect(kit.coordinator.metrics.get('underCapacityTotal')).toBe(1)
  })
})
