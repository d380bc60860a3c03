/**
 * seed 001 tests that run a whole runtime (the Rust tests that spawn the
 * task), ported one to one under their Rust names. Time is a ManualClock:
 * "sleep 350 ms" is `advanceAsync(350)`, and "cancel() does not hang" is
 * "cancel() settles within one macrotask", never a wall-clock bound.
 */
import { describe, expect, it } from 'vitest'
import { ReplicationInboundRouter } from './inbound-router.js'
import { RUNTIME_INBOX_CAPACITY } from './inbox.js'
import { RuntimeStoppedError } from './replication-errors.js'
import {
  heartbeatFrom,
  makeKit,
  N10,
  N20,
  N30,
  promote,
  runtimeFor,
  SEED_TAIL,
  settle,
  WRONG_CHANNEL,
} from './replication-test-kit.js'

function tracked<T>(promise: Promise<T>): { readonly done: () => boolean } {
  let done = false
  void promise.then(() => {
    done = true
  })
  return { done: () => done }
}

describe('seed 001: replication runtime', () => {
  it('leader_emits_heartbeat_to_peers_each_tick', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20, N30], heartbeatMs: 100 })
    await kit.clock.advanceAsync(350)
    // Three ticks (100, 200, 300 ms), one heartbeat to each non-self peer.
    const heartbeats = kit.dispatcher.heartbeats
    expect(heartbeats).toHaveLength(6)
    for (const { target, message } of heartbeats) {
      expect([N20, N30]).toContain(target)
      expect(message.role).toBe('leader')
      expect(message.tailSeq).toBe(SEED_TAIL)
    }
    await runtime.cancel()
    expect(runtime.isStopped).toBe(true)
  })

  it('inbound_heartbeat_records_into_tracker', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await runtime.dispatch(heartbeatFrom(N20, 'leader', 99))
    await kit.clock.advanceAsync(150)
    expect(runtime.believedLeader).toBe(N20)
    expect(runtime.metrics().trackedPeers).toBe(1)
    // A fresh leader heartbeat triggers no transition; the replica beats back.
    expect(runtime.role).toBe('replica')
    expect(kit.dispatcher.heartbeats.map((h) => [h.target, h.message.role])).toEqual([
      [N20, 'replica'],
    ])
    await runtime.cancel()
  })

  it('replica_with_silent_leader_runs_election_and_promotes_self', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 50 })
    await runtime.dispatch(heartbeatFrom(N20, 'leader', 99))
    // Past 3 × 50 ms of silence: Candidate, then the election in the same tick.
    await kit.clock.advanceAsync(500)
    // Self has RTT 0; the silent peer is unhealthy (or at 5 ms): self wins.
    expect(runtime.role).toBe('leader')
    expect(kit.coordinator.metrics.get('electionThrashTotal')).toBe(1)
    await runtime.cancel()
  })

  it('post_election_tag_sink_failure_does_not_strand_candidate', async () => {
    let remaining = 1
    const kit = await makeKit({
      announcer: {
        // The first announce (idle → replica) succeeds, the second
        // (candidate → leader, after the election) fails.
        announce: async () => {
          if (remaining === 0) throw new Error('simulated sink failure')
          remaining -= 1
        },
        withdraw: async () => undefined,
      },
    })
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 50 })
    await runtime.dispatch(heartbeatFrom(N20, 'leader', 99))
    await kit.clock.advanceAsync(500)
    // The role moved before the failing side effect; the runtime saw the
    // failure and still dropped the stale leader belief.
    expect(runtime.role).toBe('leader')
    expect(runtime.believedLeader).toBeUndefined()
    expect(kit.coordinator.metrics.get('announcementFailuresTotal')).toBe(1)
    await runtime.cancel()
  })

  it('shutdown_drives_idle_transition', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await runtime.cancel()
    expect(runtime.isStopped).toBe(true)
    expect(kit.coordinator.role).toBe('idle')
    expect(kit.coordinator.metrics.snapshot().transitionsBySignal['channel-close']).toBe(1)
  })

  it('priority_lane_drains_under_low_priority_saturation', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    let queued = 0
    for (let i = 0; i < RUNTIME_INBOX_CAPACITY * 2; i++) {
      if (runtime.tryDispatch(heartbeatFrom(N20, 'replica', 0)) === 'queued') queued += 1
    }
    expect(queued).toBe(RUNTIME_INBOX_CAPACITY)
    const cancel = tracked(runtime.cancel())
    await settle(kit)
    expect(cancel.done()).toBe(true)
    // Shutdown overtook the whole flood: not one heartbeat reached the tracker,
    // and the graceful idle transition ran.
    expect(kit.coordinator.role).toBe('idle')
    const snapshot = runtime.metrics()
    expect(snapshot.trackedPeers).toBe(0)
    expect(snapshot.drops.cancelled).toBe(RUNTIME_INBOX_CAPACITY)
    expect(snapshot.drops['inbox-full']).toBe(RUNTIME_INBOX_CAPACITY)
  })

  it('try_dispatch_returns_event_on_full_buffer', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    const results = []
    for (let i = 0; i < RUNTIME_INBOX_CAPACITY + 10; i++) {
      results.push(runtime.tryDispatch(heartbeatFrom(N20, 'replica', 0)))
    }
    expect(results.filter((r) => r === 'full')).toHaveLength(10)
    expect(results.slice(RUNTIME_INBOX_CAPACITY).every((r) => r === 'full')).toBe(true)
    expect(runtime.metrics().drops['inbox-full']).toBe(10)
    await runtime.cancel()
  })

  it('cancel_with_full_inbox_does_not_hang', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    for (let i = 0; i < RUNTIME_INBOX_CAPACITY; i++) {
      runtime.tryDispatch(heartbeatFrom(N20, 'replica', 0))
    }
    const cancel = tracked(runtime.cancel())
    await settle(kit)
    expect(cancel.done()).toBe(true)
    expect(runtime.isStopped).toBe(true)
  })

  it('dropping_handle_aborts_task', async () => {
    // JavaScript has no destructor to run on drop. The invariant the Rust
    // test pins (nothing keeps the task, and through it the dispatcher,
    // alive once the handle is let go) becomes: after cancel() no timer,
    // router entry or coordinator listener refers to the runtime any more.
    const kit = await makeKit()
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    const router = new ReplicationInboundRouter()
    router.register(runtime.channel, runtime)
    let forwarded = 0
    runtime.on('role-changed', () => {
      forwarded += 1
    })
    expect(kit.clock.pendingTimers()).toBe(1)

    await runtime.cancel()
    expect(kit.clock.pendingTimers()).toBe(0)
    expect(router.tryRoute(runtime.channel, heartbeatFrom(N20, 'leader', 1))).toBe(false)
    expect(router.size).toBe(0)
    await kit.coordinator.transitionTo('replica', 'capability-selected')
    expect(forwarded).toBe(0)
    await kit.clock.advanceAsync(600_000)
    expect(kit.dispatcher.heartbeats).toHaveLength(0)
  })

  it('dispatch_after_cancel_errors', async () => {
    const kit = await makeKit()
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await runtime.cancel()
    await expect(runtime.dispatch(heartbeatFrom(N20, 'replica', 0))).rejects.toBeInstanceOf(
      RuntimeStoppedError,
    )
  })

  it('channel_id_mismatch_drops_heartbeat', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await runtime.dispatch(heartbeatFrom(N20, 'leader', 99, WRONG_CHANNEL))
    await kit.clock.advanceAsync(500)
    // The heartbeat never reached the tracker, so 0x20 is not followed;
    // the peer is still running (replica, or leader after an election).
    expect(runtime.metrics().drops['wrong-channel']).toBe(1)
    expect(runtime.metrics().trackedPeers).toBe(0)
    expect(runtime.believedLeader).toBeUndefined()
    expect(['replica', 'leader']).toContain(runtime.role)
    await runtime.cancel()
  })

  it('is_stopped_is_false_before_first_cancel_completes', async () => {
    const kit = await makeKit()
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    expect(runtime.isStopped).toBe(false)
    // Two racing cancels: neither may report stopped before the loop ended.
    const first = runtime.cancel()
    const second = runtime.cancel()
    expect(runtime.isStopped).toBe(false)
    await second
    expect(runtime.isStopped).toBe(true)
    await first
    await runtime.cancel()
    expect(runtime.isStopped).toBe(true)
  })

  it('post_election_failed_transition_preserves_believed_leader', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 50 })
    await runtime.dispatch(heartbeatFrom(N20, 'leader', 99))
    await kit.clock.advanceAsync(20)
    // An outside close wins the race before any election can run.
    await kit.coordinator.transitionTo('idle', 'channel-close')
    await kit.clock.advanceAsync(300)
    expect(kit.coordinator.role).toBe('idle')
    // No election ran, so nothing wiped the belief.
    expect(runtime.believedLeader).toBe(N20)
    expect(kit.coordinator.metrics.get('electionsRunTotal')).toBe(0)
    await runtime.cancel()
  })
})
