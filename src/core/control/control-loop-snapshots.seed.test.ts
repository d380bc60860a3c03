/**
 * Seed 002's event-loop tests, ported by name, in four files
 * (control-loop-*.seed.test.ts); this one: ticks, reconcile passes and the
 * snapshot readers. Time is a ManualClock, so "let several ticks fire" is an
 * exact number of ticks and nothing sleeps.
 */
import { describe, expect, it } from 'vitest'
import { ch, channelView, makeTestLoop, opened, p, peerView, SELF } from './test-control-kit.js'

describe('seed 002: mesh control loop — snapshots', () => {
  it('snapshot_reader_does_not_stall_under_concurrent_reads', async () => {
    const { loop, clock } = makeTestLoop({ config: { tickIntervalMs: 5 } })
    const readers = Array.from({ length: 8 }, () => loop.reader())
    const handle = loop.acquireHandle()
    loop.start()
    let reads = 0
    const held = readers.map((r) => r.read())
    for (let step = 0; step < 12; step++) {
      await handle.publish({ type: 'rtt-sample', peer: p('a'), rttMs: step })
      await clock.advanceAsync(5)
      for (const reader of readers) {
        const snapshot = reader.read()
        expect(Object.isFrozen(snapshot)).toBe(true)
        expect(snapshot.reconcileCount).toBe(step + 1)
        expect(peerView(snapshot, 'a')?.rttMs).toBe(step)
        reads++
      }
    }
    expect(reads).toBe(96)
    // Snapshots a reader still holds are never touched by later publishes.
    for (const snapshot of held) expect(snapshot.reconcileCount).toBe(0)
    await loop.stop()
  })

  it('ticks_drive_reconcile_passes', async () => {
    const { loop, clock } = makeTestLoop({ config: { tickIntervalMs: 20 } })
    const handle = loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(120)
    await handle.publish({ type: 'shutdown' })
    await clock.advanceAsync(0)
    expect((await loop.exited).reconcileCount).toBe(6)
  })

  it('snapshot_reader_returns_updated_state_after_each_tick', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish(opened('c0ffee', [SELF, p('7')]))
    await clock.advanceAsync(5)
    // Folded, but the snapshot is only republished after a reconcile.
    expect(channelView(loop.snapshot(), 'c0ffee')).toBeUndefined()
    await clock.advanceAsync(5)
    expect(channelView(loop.snapshot(), 'c0ffee')?.desired?.replicaSet).toEqual([SELF, '7'])
    await handle.publish({ type: 'channel-closed', channel: ch('c0ffee') })
    await clock.advanceAsync(10)
    expect(channelView(loop.snapshot(), 'c0ffee')?.desired).toBeUndefined()
    await loop.stop()
  })

  it('snapshot_reader_is_cloneable_and_sees_same_state', async () => {
    const { loop, clock } = makeTestLoop()
    const readerA = loop.reader()
    const readerB = loop.reader()
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish(opened('one'))
    await clock.advanceAsync(100)
    expect(readerA.read()).toBe(readerB.read())
    expect(readerA.read()).toEqual(readerB.read())
    expect(channelView(readerA.read(), 'one')).toBeDefined()
    await loop.stop()
  })

  it('reconcile_emitted_at_anchored_on_last_tick_for_replay_determinism', async () => {
    const run = async () => {
      const { loop, clock, keys } = makeTestLoop({ config: { tickIntervalMs: 80 } })
      // A slow probe: loop time moves on while the tick is being served.
      let clockAfterProbe = 0
      loop.probes.addLocalityProbe({
        rttSamples() {
          clock.advance(5)
          clockAfterProbe = clock.now()
          return []
        },
      })
      const handle = loop.acquireHandle()
      loop.start()
      const drain = keys.sign({ type: 'drain-peer', peer: SELF }, clock.wallNow())
      await handle.publish({ type: 'signed-admin-commit', commit: drain })
      await handle.publish(opened('one'))
      await clock.advanceAsync(80)
      await handle.publish({ type: 'shutdown' })
      await clock.advanceAsync(0)
      await loop.exited
      return { snapshot: loop.snapshot(), clockAfterProbe }
    }
    const { snapshot, clockAfterProbe } = await run()
    expect(snapshot.lastTickAt).toBe(80)
    expect(clockAfterProbe).toBe(85)
    expect(snapshot.recentlyEmitted.map((e) => e.kind)).toEqual(['drain-start', 'drain-finish'])
    for (const emitted of snapshot.recentlyEmitted) {
      expect(emitted.emittedAt).toBe(snapshot.lastTickAt)
      expect(emitted.ageMs).toBe(0)
    }
    // A replay of the same events stamps the same actions identically.
    expect((await run()).snapshot.recentlyEmitted).toEqual(snapshot.recentlyEmitted)
  })
})
