/**
 * Seed 002's event-loop tests, ported by name, in four files
 * (control-loop-*.seed.test.ts); this one: the loop's life: exits, its
 * queues, bursts and shutdown. Time is a ManualClock, so "let several ticks
 * fire" is an exact number of ticks and nothing sleeps.
 */
import { describe, expect, it } from 'vitest'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import { LoopClosedError, QueueFullError } from './control-errors.js'
import { ControlLoop } from './control-loop.js'
import { hasher, makeTestLoop, opened, p, SELF, track } from './test-control-kit.js'

describe('seed 002: mesh control loop — lifecycle', () => {
  it('loop_exits_cleanly_when_all_handles_drop', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    const exit = track(loop.exited)
    await clock.advanceAsync(25)
    expect(exit.settled).toBe(false)
    handle.close()
    await clock.advanceAsync(0)
    expect(exit.value).toEqual({ reason: 'handles-released', reconcileCount: 2 })
    // Nothing to do under a steady empty state: the action queue stays empty.
    expect(loop.actions.take()).toBeUndefined()
    expect(await loop.actions.next()).toBeUndefined()
  })

  it('loop_exits_on_shutdown_event', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({ type: 'shutdown' })
    await clock.advanceAsync(0)
    expect((await loop.exited).reason).toBe('shutdown-event')
    expect(loop.running).toBe(false)
    await expect(handle.publish({ type: 'peer-connected', peer: p('a') })).rejects.toBeInstanceOf(
      LoopClosedError,
    )
  })

  it('publish_timeout_returns_queue_full_when_loop_is_wedged', async () => {
    // The loop is never started: the handle is alive but nothing drains the inbox.
    const { loop, clock } = makeTestLoop({ config: { eventQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    await handle.publish({ type: 'peer-connected', peer: p('a') })
    const second = track(handle.publishTimeout({ type: 'peer-connected', peer: p('b') }, 50))
    await clock.advanceAsync(49)
    expect(second.settled).toBe(false)
    await clock.advanceAsync(1)
    expect(second.error).toBeInstanceOf(QueueFullError)
    expect((second.error as QueueFullError).code).toBe('ERR_QUEUE_FULL')
    // It honoured its budget exactly: rejected at 50 ms of loop time, not later.
    expect(clock.now()).toBe(50)
  })

  it('dropped_actions_counter_increments_when_action_queue_is_full', async () => {
    const { loop, clock } = makeTestLoop({ config: { actionQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    loop.start()
    // Five channels this peer should run: reconcile emits one start-runtime each.
    for (const name of ['c1', 'c2', 'c3', 'c4', 'c5']) await handle.publish(opened(name))
    await clock.advanceAsync(10)
    const afterOne = loop.snapshot()
    expect(afterOne.counters.droppedActions).toMatchObject({ queue_full: 4, total: 4 })
    // Only the action the queue accepted is recorded as emitted.
    expect(afterOne.recentlyEmitted.map((e) => e.action)).toEqual([
      { kind: 'start-runtime', channel: 'c1', replicaSet: [SELF], replicaSetVersion: 1 },
    ])
    // Nobody drains the queue: the four are derived again, and dropped again, every tick.
    await clock.advanceAsync(70)
    expect(loop.snapshot().counters.droppedActions).toMatchObject({ queue_full: 32 })
    await handle.publish({ type: 'shutdown' })
    await clock.advanceAsync(0)
    await loop.exited
  })

  it('loop_drains_event_burst_without_panicking', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    const publisher = (async () => {
      await handle.publish({ type: 'peer-connected', peer: p('11') })
      await handle.publish({ type: 'peer-connected', peer: p('12') })
      await handle.publish({ type: 'peer-lost', peer: p('11') })
      await handle.publish({ type: 'shutdown' })
    })()
    loop.start()
    await publisher
    const exit = track(loop.exited)
    await clock.advanceAsync(0)
    expect(exit.value).toEqual({ reason: 'shutdown-event', reconcileCount: 0 })
  })

  it('loop_construction_returns_handle_and_actions_receiver', () => {
    const loop = new ControlLoop({
      thisPeer: SELF,
      clock: new ManualClock(),
      rng: seededRng(1),
      hasher,
    })
    const handle = loop.acquireHandle()
    const clone = loop.acquireHandle()
    expect(handle).not.toBe(clone)
    expect(loop.actions.capacity).toBe(256)
    expect(loop.actions.size).toBe(0)
    expect(loop.runtimeEpochId).toMatch(/^[0-9a-f]{16}$/)
    expect(loop.snapshot().runtimeEpochId).toBe(loop.runtimeEpochId)
  })

  it('try_publish_surfaces_queue_full_under_saturation', async () => {
    const { loop, clock } = makeTestLoop({ config: { eventQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    handle.tryPublish({ type: 'peer-connected', peer: p('a') })
    expect(() => handle.tryPublish({ type: 'peer-connected', peer: p('b') })).toThrow(
      QueueFullError,
    )
    handle.close()
    // With no handle left, the loop drains its backlog and exits.
    loop.start()
    await clock.advanceAsync(0)
    expect((await loop.exited).reason).toBe('handles-released')
    expect(loop.snapshot().counters.droppedEvents).toMatchObject({ discarded_at_exit: 0 })
  })

  it('shutdown_event_short_circuits_pending_events_after_it', async () => {
    const { loop, clock } = makeTestLoop({ config: { tickIntervalMs: 60_000 } })
    const handle = loop.acquireHandle()
    await handle.publish({ type: 'shutdown' })
    await handle.publish(opened('one'))
    loop.start()
    await clock.advanceAsync(0)
    const exit = await loop.exited
    expect(exit.reconcileCount).toBe(0)
    expect(loop.snapshot().channels).toEqual([])
    expect(loop.snapshot().counters.droppedEvents).toMatchObject({ discarded_at_exit: 1 })
    await expect(handle.publish(opened('two'))).rejects.toBeInstanceOf(LoopClosedError)
  })
})
