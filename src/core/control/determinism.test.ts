/**
 * The simulator's contract: everything enters through Clock, Rng and
 * injected interfaces, so the same seed and the same script give the same
 * run, step by step on a ManualClock.
 */
import { describe, expect, it } from 'vitest'
import { channelId, peerId } from '../log/ids.js'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import type { PendingAction } from './control-actions.js'
import type { ControlEvent } from './control-events.js'
import { makeTestLoop, SELF } from './test-control-kit.js'

const A = peerId('a')
const B = peerId('b')

/** A scripted run: random events at random times, an executor that acks what it can. */
async function scriptedRun(seed: number) {
  const rng = seededRng(seed)
  const clock = new ManualClock()
  const { loop, keys } = makeTestLoop({ clock, rng: seededRng(seed) })
  loop.probes.addLocalityProbe({ rttSamples: () => [{ peer: A, rttMs: 20 + (clock.now() % 7) }] })
  const handle = loop.acquireHandle()
  loop.start()
  const taken: PendingAction[] = []
  const script: (() => ControlEvent)[] = [
    () => ({ type: 'peer-connected', peer: rng.nextFloat() < 0.5 ? A : B }),
    () => ({ type: 'peer-lost', peer: A }),
    () => ({
      type: 'channel-opened',
      channel: channelId(`c${rng.int(0, 3)}`),
      replicaSet: [SELF, A, B],
    }),
    () => ({ type: 'channel-closed', channel: channelId(`c${rng.int(0, 3)}`) }),
    () => ({ type: 'storage-estimate', usageBytes: rng.int(0, 100), quotaBytes: 100 }),
    () => ({
      type: 'signed-admin-commit',
      commit: keys.sign({ type: 'freeze', durationMs: rng.int(1, 50) }, clock.wallNow()),
    }),
  ]
  for (let step = 0; step < 200; step++) {
    const make = script[rng.int(0, script.length - 1)]
    if (make !== undefined) handle.tryPublish(make())
    await clock.advanceAsync(rng.int(0, 7))
    for (let next = loop.actions.take(); next !== undefined; next = loop.actions.take()) {
      taken.push(next)
      const { action } = next
      if (action.kind === 'start-runtime')
        await handle.publish({ type: 'runtime-started', channel: action.channel })
      if (action.kind === 'stop-runtime')
        await handle.publish({ type: 'runtime-stopped', channel: action.channel })
    }
  }
  await loop.stop()
  return { taken, snapshot: JSON.stringify(loop.snapshot()) }
}

describe('determinism: the same seed replays the same run', () => {
  it('emits the same actions and ends in the same snapshot for the same seed', async () => {
    const seed = Number(process.env.SEED ?? 4242)
    const first = await scriptedRun(seed)
    const second = await scriptedRun(seed)
    expect(first.taken.length, `seed ${seed}`).toBeGreaterThan(10)
    expect(second.taken, `seed ${seed}`).toEqual(first.taken)
    expect(second.snapshot, `seed ${seed}`).toBe(first.snapshot)
  })

  it('steps synchronously under ManualClock.advance when every injected interface answers synchronously', () => {
    const clock = new ManualClock()
    const { loop, keys } = makeTestLoop({ clock })
    const handle = loop.acquireHandle()
    loop.start()
    handle.tryPublish({ type: 'channel-opened', channel: channelId('x') })
    handle.tryPublish({
      type: 'signed-admin-commit',
      commit: keys.sign({ type: 'drain-peer', peer: B }, clock.wallNow()),
    })
    clock.advance(10)
    const snapshot = loop.snapshot()
    expect(snapshot.reconcileCount).toBe(1)
    expect(snapshot.recentlyEmitted.map((e) => e.kind)).toEqual(['start-runtime'])
    expect(snapshot.adminAudit.map((r) => r.outcome.status)).toEqual(['accepted'])
    clock.advance(30)
    expect(loop.snapshot().reconcileCount).toBe(4)
  })

  it('a different seed gives a different run', async () => {
    const a = await scriptedRun(1)
    const b = await scriptedRun(2)
    expect(b.snapshot).not.toBe(a.snapshot)
  })
})
