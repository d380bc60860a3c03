import { describe, expect, it } from 'vitest'
import { channelId, peerId } from '../log/ids.js'
import type { Clock } from '../time/clock.js'
import { ManualClock } from '../time/manual-clock.js'
import type { AdminVerdict } from './admin-verifier.js'
import type { LogRingRecord } from './event-records.js'
import { BufferingSink, FakeAdminKeys, makeTestLoop, SELF } from './test-control-kit.js'

/** A ManualClock that notes how many log lines were applied whenever the loop yields. */
function yieldWatchingClock(inner: ManualClock, applied: () => number, yields: number[]): Clock {
  return {
    now: () => inner.now(),
    wallNow: () => inner.wallNow(),
    setTimer(ms, fn) {
      if (ms === 0) yields.push(applied())
      return inner.setTimer(ms, fn)
    },
  }
}

describe('cadence: tick first, then at most 32 events, and late ticks delay', () => {
  it('serves a due tick before queued events, then drains at most 32 events per step', async () => {
    const manual = new ManualClock()
    const sink = new BufferingSink<LogRingRecord>()
    const yields: number[] = []
    const keys = new FakeAdminKeys()
    // The verifier answers at t=15: the loop is busy on that commit when the t=10 tick falls due.
    let release: (verdict: AdminVerdict) => void = () => {}
    const verifier = {
      verify: () => new Promise<AdminVerdict>((resolve) => (release = resolve)),
    }
    manual.setTimer(15, () => release({ ok: true }))
    const clock = yieldWatchingClock(manual, () => sink.links.length, yields)
    const ticksAt: number[] = []
    const logsAtTick: number[] = []
    const { loop } = makeTestLoop({ clock, adminVerifier: verifier, logSink: sink })
    loop.probes.addLocalityProbe({
      rttSamples() {
        ticksAt.push(manual.now())
        logsAtTick.push(sink.links.length)
        return []
      },
    })
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({
      type: 'signed-admin-commit',
      commit: keys.sign({ type: 'drain-peer', peer: peerId('x') }, manual.wallNow()),
    })
    await manual.advanceAsync(1)
    for (let i = 0; i < 63; i++)
      handle.tryPublish({ type: 'log-line', level: 'info', message: `m${i}` })
    yields.length = 0
    await manual.advanceAsync(49)

    // The tick due at 10 waited for the verification, then went first: no log line before it.
    expect(ticksAt[0]).toBe(15)
    expect(logsAtTick[0]).toBe(0)
    // After it, the backlog drains 32 at a time, yielding to the host between batches.
    expect(yields).toEqual([0, 32])
    expect(sink.links).toHaveLength(63)
    // Missed ticks delay: the next one is an interval after the late one, not back on the 10s.
    expect(ticksAt).toEqual([15, 25, 35, 45])
    await loop.stop()
  })

  it('a closing tab pulls the next tick in, then the cadence resumes an interval later', async () => {
    const ticksAt: number[] = []
    const { loop, clock } = makeTestLoop({ config: { tickIntervalMs: 1_000 } })
    loop.probes.addLocalityProbe({
      rttSamples() {
        ticksAt.push(clock.now())
        return []
      },
    })
    const handle = loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(1_150)
    await handle.publish({ type: 'drain-requested', reason: 'tab-closing' })
    await clock.advanceAsync(2_000)
    expect(ticksAt).toEqual([1_000, 1_150, 2_150, 3_150])
    expect(loop.snapshot().maintenance).toEqual({
      phase: 'drained',
      reason: 'tab-closing',
      at: 1_150,
    })
    await loop.stop()
  })

  it('applies events in publish order and folds them before the next reconcile', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    const chat = channelId('chat')
    await handle.publish({ type: 'channel-opened', channel: chat, replicaSet: [SELF, peerId('a')] })
    await handle.publish({ type: 'channel-opened', channel: chat, replicaSet: [SELF, peerId('b')] })
    await clock.advanceAsync(10)
    expect(loop.snapshot().channels[0]?.desired?.replicaSet).toEqual([SELF, 'b'])
    expect(loop.snapshot().recentlyEmitted[0]?.action).toMatchObject({
      kind: 'start-runtime',
      replicaSet: [SELF, 'b'],
    })
    await loop.stop()
  })
})
