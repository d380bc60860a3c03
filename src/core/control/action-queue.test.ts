import { describe, expect, it } from 'vitest'
import { channelId } from '../log/ids.js'
import { ActionQueue } from './action-queue.js'
import type { PendingAction } from './control-actions.js'
import { makeTestLoop, track } from './test-control-kit.js'

const pending = (id: number): PendingAction => ({
  id,
  action: { kind: 'drain-exit' },
  emittedAt: 0,
})

describe('action queue: bounded, never blocks the loop, drops counted by reason', () => {
  it('refuses past capacity and counts queue_full; a closed executor counts executor_closed', () => {
    const queue = new ActionQueue(2)
    expect([1, 2, 3].map((id) => queue.offer(pending(id)))).toEqual([true, true, false])
    expect(queue.take()?.id).toBe(1)
    queue.close()
    expect(queue.offer(pending(4))).toBe(false)
    expect(queue.drops.snapshot()).toEqual({ queue_full: 1, executor_closed: 1, total: 2 })
  })

  it('hands an action straight to a waiting executor, and ends its wait when the loop ends', async () => {
    const queue = new ActionQueue(1)
    const first = track(queue.next())
    queue.offer(pending(7))
    await Promise.resolve()
    expect(first.value?.id).toBe(7)
    const second = track(queue.next())
    queue.end()
    await Promise.resolve()
    expect(second.settled).toBe(true)
    expect(second.value).toBeUndefined()
  })

  it('a dropped action leaves state as it was, so the next tick derives it again', async () => {
    const { loop, clock } = makeTestLoop({ config: { actionQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({ type: 'channel-opened', channel: channelId('a') })
    await handle.publish({ type: 'channel-opened', channel: channelId('b') })
    await clock.advanceAsync(10)
    expect(loop.actions.take()?.action).toMatchObject({ kind: 'start-runtime', channel: 'a' })
    await clock.advanceAsync(10)
    expect(loop.actions.take()?.action).toMatchObject({ kind: 'start-runtime', channel: 'b' })
    const snapshot = loop.snapshot()
    // Action 2 was b's dropped start; the recent ring, bounded by the queue's capacity, keeps the newest.
    expect(snapshot.recentlyEmitted.map((e) => [e.id, e.emittedAt])).toEqual([[3, 20]])
    expect(snapshot.counters.droppedActions).toMatchObject({ queue_full: 1 })
    await loop.stop()
  })
})
