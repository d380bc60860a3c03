import { describe, expect, it } from 'vitest'
import { channelId, peerId } from '../log/ids.js'
import type { ControlSnapshot } from './control-snapshot.js'
import { channelView, makeTestLoop, peerView, SELF } from './test-control-kit.js'

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true
  return Object.isFrozen(value) && Object.values(value).every(isDeepFrozen)
}

describe('snapshot: immutable, swapped whole after each reconcile, event throttled', () => {
  it('is deeply frozen and shares no object with live state or with publishers', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    const replicaSet = [SELF, peerId('a')]
    const inventory = { logBytes: { chat: 10 } }
    loop.probes.addInventoryProbe({ inventorySamples: () => [{ peer: peerId('a'), inventory }] })
    await handle.publish({ type: 'channel-opened', channel: channelId('chat'), replicaSet })
    await clock.advanceAsync(10)
    const snapshot = loop.snapshot()
    expect(isDeepFrozen(snapshot)).toBe(true)
    // The publisher's array and the probe's object stay theirs, unfrozen.
    expect(Object.isFrozen(replicaSet)).toBe(false)
    expect(Object.isFrozen(inventory)).toBe(false)
    expect(() => {
      ;(snapshot.channels as unknown as unknown[]).push(1)
    }).toThrow(TypeError)
    await handle.publish({ type: 'channel-closed', channel: channelId('chat') })
    await clock.advanceAsync(10)
    expect(channelView(snapshot, 'chat')?.desired?.openedLocally).toBe(true)
    expect(channelView(loop.snapshot(), 'chat')?.desired).toBeUndefined()
    await loop.stop()
  })

  it('is replaced only by a reconcile: events between ticks do not show', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(10)
    const atTick = loop.snapshot()
    await handle.publish({ type: 'peer-connected', peer: peerId('a') })
    await clock.advanceAsync(5)
    expect(loop.snapshot()).toBe(atTick)
    await clock.advanceAsync(5)
    expect(loop.snapshot()).not.toBe(atTick)
    expect(peerView(loop.snapshot(), 'a')?.connected).toBe(true)
    await loop.stop()
  })

  it('fires the snapshot event at most once per interval, carrying the latest snapshot', async () => {
    const { loop, clock } = makeTestLoop({ config: { snapshotEventMinIntervalMs: 25 } })
    const seen: [number, number][] = []
    loop.on('snapshot', (event: CustomEvent<ControlSnapshot>) => {
      expect(event.detail).toBe(loop.snapshot())
      seen.push([clock.now(), event.detail.reconcileCount])
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    // Ticks at 10..80; the trailing emit at 35 carries tick 30's snapshot, the one at 60
    // fires just before that tick's reconcile and carries tick 50's.
    expect(seen).toEqual([
      [10, 1],
      [35, 3],
      [60, 5],
    ])
    await loop.stop()
  })

  it('carries the runtime epoch id, from the injected Rng', () => {
    const a = makeTestLoop().loop
    const b = makeTestLoop().loop
    expect(a.snapshot().runtimeEpochId).toBe(a.runtimeEpochId)
    // Same seed, same id: a simulator run replays exactly.
    expect(a.runtimeEpochId).toBe(b.runtimeEpochId)
  })
})
