import { describe, expect, it } from 'vitest'
import { seededRng } from '../random/rng.js'
import { sleep } from './clock.js'
import { ManualClock } from './manual-clock.js'

describe('ManualClock', () => {
  it('fires timers in due order, ties in the order set, with now() at their due time', () => {
    const clock = new ManualClock()
    const fired: string[] = []
    clock.setTimer(30, () => fired.push(`c@${clock.now()}`))
    clock.setTimer(10, () => fired.push(`a@${clock.now()}`))
    clock.setTimer(10, () => fired.push(`b@${clock.now()}`))
    const cancel = clock.setTimer(20, () => fired.push('cancelled'))
    cancel()
    clock.advance(25)
    expect(fired).toEqual(['a@10', 'b@10'])
    expect(clock.now()).toBe(25)
    clock.advance(5)
    expect(fired).toEqual(['a@10', 'b@10', 'c@30'])
    expect(clock.pendingTimers()).toBe(0)
  })

  it('fires timers set by timers within the same advance', () => {
    const clock = new ManualClock()
    const fired: number[] = []
    const every = (ms: number) =>
      clock.setTimer(ms, () => {
        fired.push(clock.now())
        every(ms)
      })
    every(100)
    clock.advance(350)
    expect(fired).toEqual([100, 200, 300])
  })

  it('settles promise chains between timers with advanceAsync', async () => {
    const clock = new ManualClock()
    const order: string[] = []
    void sleep(clock, 10).then(async () => {
      await Promise.resolve()
      order.push(`woke@${clock.now()}`)
    })
    clock.setTimer(20, () => order.push('timer@20'))
    await clock.advanceAsync(20)
    expect(order).toEqual(['woke@10', 'timer@20'])
  })

  it('sleep rejects with the abort reason', async () => {
    const clock = new ManualClock()
    const controller = new AbortController()
    const slept = sleep(clock, 10, controller.signal)
    controller.abort(new Error('stop'))
    await expect(slept).rejects.toThrow('stop')
    expect(clock.pendingTimers()).toBe(0)
  })
})

describe('seededRng', () => {
  it('gives the same stream for the same seed and stays in range', () => {
    const a = seededRng(42)
    const b = seededRng(42)
    const xs = Array.from({ length: 100 }, () => a.int(3, 7))
    expect(xs).toEqual(Array.from({ length: 100 }, () => b.int(3, 7)))
    expect(new Set(xs)).toEqual(new Set([3, 4, 5, 6, 7]))
    expect(seededRng(43).nextU32()).not.toBe(seededRng(42).nextU32())
    const f = a.nextFloat()
    expect(f >= 0 && f < 1).toBe(true)
    expect(a.nextU64() < 2n ** 64n).toBe(true)
  })
})

describe('ManualClock nested advance', () => {
  it('never moves time back when a timer advances the clock itself', () => {
    const clock = new ManualClock()
    clock.setTimer(10, () => clock.advance(75))
    clock.advance(80)
    expect(clock.now()).toBe(85)
  })
})
