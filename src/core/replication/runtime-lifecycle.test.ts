/**
 * Runtime rules beyond the seed's own tests: lifecycle, the heartbeat
 * timer, cancel's abort and deadline paths, events and the metrics snapshot.
 */
import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../errors.js'
import { loadEntryHasher } from '../log/entry-hasher.js'
import type { PeerId } from '../log/ids.js'
import { seededRng } from '../random/rng.js'
import type { ReplicationDispatcher } from './dispatcher.js'
import { RuntimeStoppedError } from './replication-errors.js'
import { ReplicationRuntime } from './replication-runtime.js'
import {
  CHANNEL,
  heartbeatFrom,
  type Kit,
  makeKit,
  N10,
  N20,
  N30,
  promote,
  responseOf,
  runtimeFor,
  settle,
} from './replication-test-kit.js'

/** A dispatcher whose first heartbeat send blocks until released. */
function gatedHeartbeats(kit: Kit): {
  dispatcher: ReplicationDispatcher
  targets: PeerId[]
  release: () => void
} {
  let release: () => void = () => undefined
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const targets: PeerId[] = []
  const dispatcher: ReplicationDispatcher = {
    sendHeartbeat: async (target) => {
      targets.push(target)
      if (targets.length === 1) await gate
    },
    sendSyncRequest: (t, m) => kit.dispatcher.sendSyncRequest(t, m),
    sendSyncResponse: (t, m) => kit.dispatcher.sendSyncResponse(t, m),
    sendSyncNack: (t, m) => kit.dispatcher.sendSyncNack(t, m),
    sendPropose: (t, m) => kit.dispatcher.sendPropose(t, m),
    sendLeaderHandoff: (t, m) => kit.dispatcher.sendLeaderHandoff(t, m),
  }
  return { dispatcher, targets, release }
}

describe('start() and cancel() are idempotent and every path ends stopped', () => {
  it('cancels a runtime that never started, moving it to idle', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = new ReplicationRuntime({
      channel: CHANNEL,
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 100,
      clock: kit.clock,
      rng: seededRng(1),
      hasher: await loadEntryHasher(),
      store: kit.store,
      dispatcher: kit.dispatcher,
      coordinator: kit.coordinator,
    })
    await runtime.cancel()
    runtime.start()
    expect(runtime.isStopped).toBe(true)
    expect(kit.coordinator.role).toBe('idle')
    expect(kit.clock.pendingTimers()).toBe(0)
  })

  it('refuses a heartbeat period that would break the timer or failover', async () => {
    const kit = await makeKit()
    for (const heartbeatMs of [0, -1, Number.NaN, 3_600_000]) {
      expect(() => runtimeFor(kit, { self: N10, replicaSet: [N10], heartbeatMs })).toThrow(
        InvalidArgumentError,
      )
    }
  })

  it('starts once, whatever the number of calls', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    runtime.start()
    runtime.start()
    await kit.clock.advanceAsync(100)
    expect(kit.dispatcher.heartbeats).toHaveLength(1)
    await runtime.cancel()
  })

  it('stops when a Shutdown is dispatched, and emits stopped once', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    const stops: boolean[] = []
    runtime.on('stopped', (event) => stops.push(event.detail.graceful))
    expect(runtime.tryDispatch({ kind: 'shutdown' })).toBe('queued')
    await settle(kit)
    expect(runtime.isStopped).toBe(true)
    expect(kit.coordinator.role).toBe('idle')
    await runtime.cancel()
    expect(stops).toEqual([true])
  })

  it('rejects appends still waiting, and new ones, once cancelled', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    const waiting = runtime.append([new Uint8Array([1])])
    const cancel = runtime.cancel()
    await expect(waiting).rejects.toBeInstanceOf(RuntimeStoppedError)
    await expect(runtime.append([new Uint8Array([2])])).rejects.toBeInstanceOf(RuntimeStoppedError)
    await cancel
    expect(kit.store.state(CHANNEL).nextSeq).toBe(42)
  })
})

describe('the heartbeat timer skips missed ticks', () => {
  it('runs one tick, not a backlog, after a slow tick', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    const gated = gatedHeartbeats(kit)
    const runtime = runtimeFor(kit, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 100,
      dispatcher: gated.dispatcher,
    })
    await kit.clock.advanceAsync(100) // tick 1 blocks in its send
    await kit.clock.advanceAsync(1_000) // ten periods pass meanwhile
    expect(gated.targets).toHaveLength(1)
    gated.release()
    await settle(kit)
    expect(gated.targets).toHaveLength(2) // one catch-up tick, not ten
    await kit.clock.advanceAsync(100)
    expect(gated.targets).toHaveLength(3)
    await runtime.cancel()
  })
})

describe('cancel() never hangs', () => {
  it('aborts when the priority lane is full: queued events dropped, role idle', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 60_000,
      priorityInboxCapacity: 8,
    })
    for (let i = 0; i < 8; i++) {
      runtime.tryDispatch({
        kind: 'sync-response',
        from: N20,
        message: responseOf([], BigInt(i), 0),
      })
    }
    const stops: boolean[] = []
    runtime.on('stopped', (event) => stops.push(event.detail.graceful))
    const cancel = runtime.cancel()
    expect(kit.coordinator.role).toBe('idle')
    await cancel
    expect(stops).toEqual([false])
    const snapshot = runtime.metrics()
    expect(snapshot.drops.cancelled).toBe(8)
    expect(snapshot.drops['unknown-request']).toBe(0)
  })

  it('gives up on a stuck handler at the deadline; its late effects are refused', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'leader')
    const gated = gatedHeartbeats(kit)
    const runtime = runtimeFor(kit, {
      self: N10,
      replicaSet: [N10, N20, N30],
      heartbeatMs: 100,
      dispatcher: gated.dispatcher,
      cancelTimeoutMs: 1_000,
    })
    await kit.clock.advanceAsync(100) // stuck sending to N20
    let done = false
    void runtime.cancel().then(() => {
      done = true
    })
    await kit.clock.advanceAsync(999)
    expect(done).toBe(false)
    expect(runtime.isStopped).toBe(false)
    await kit.clock.advanceAsync(1)
    expect(done).toBe(true)
    expect(runtime.isStopped).toBe(true)
    expect(kit.coordinator.role).toBe('idle')
    gated.release()
    await settle(kit)
    // The resumed tick went on to N30, and the halted context refused it.
    expect(gated.targets).toEqual([N20])
    expect(runtime.metrics().sendFailures.heartbeat).toBe(1)
  })
})

describe('the runtime reports what it observes', () => {
  it('emits leader-changed when the followed leader changes', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 60_000 })
    const leaders: (PeerId | undefined)[] = []
    runtime.on('leader-changed', (event) => leaders.push(event.detail.leader))
    runtime.tryDispatch(heartbeatFrom(N20, 'leader', 42))
    runtime.tryDispatch(heartbeatFrom(N20, 'leader', 42))
    runtime.tryDispatch(heartbeatFrom(N20, 'replica', 42))
    await settle(kit)
    expect(leaders).toEqual([N20, undefined])
    await runtime.cancel()
  })

  it('records the leader and replica lag gauges on ticks', async () => {
    const leaderKit = await makeKit()
    await promote(leaderKit.coordinator, 'leader')
    const leader = runtimeFor(leaderKit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    leader.tryDispatch(heartbeatFrom(N20, 'replica', 42))
    await leaderKit.clock.advanceAsync(100)
    expect(leader.metrics().leaderLagMs).toBe(100)
    expect(leader.metrics().replicaLagMs).toBeNull()
    await leader.cancel()

    const replicaKit = await makeKit()
    await promote(replicaKit.coordinator, 'replica')
    const replica = runtimeFor(replicaKit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    replica.tryDispatch(heartbeatFrom(N20, 'leader', 42))
    await replicaKit.clock.advanceAsync(100)
    expect(replica.metrics().replicaLagMs).toBe(100)
    await replica.cancel()
  })

  it('gives a plain, cloneable metrics snapshot', async () => {
    const kit = await makeKit()
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    const snapshot = runtime.metrics()
    expect(structuredClone(snapshot)).toEqual(snapshot)
    expect(snapshot).toMatchObject({
      channel: CHANNEL,
      self: N10,
      role: 'idle',
      believedLeader: null,
      queues: { lowLane: 0, priorityLane: 0, appendBacklog: 0 },
    })
    await runtime.cancel()
  })
})
