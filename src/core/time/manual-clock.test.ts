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

describe('ManualClock with many timers', () => {
  it('fires thousands of timers set in any order by due time, ties in the order set', () => {
    const clock = new ManualClock()
    const rng = seededRng(5)
    const fired: [number, number][] = []
    const cancels: (() => void)[] = []
    for (let i = 0; i < 5000; i++) {
      const due = rng.int(0, 300)
      cancels.push(clock.setTimer(due, () => fired.push([clock.now(), i])))
    }
    for (let i = 0; i < 5000; i += 7) cancels[i]?.()
    expect(clock.pendingTimers()).toBe(5000 - Math.ceil(5000 / 7))
    clock.advance(150)
    clock.setTimer(0, () => fired.push([clock.now(), -1]))
    clock.advance(150)
    const expected = [...fired].sort((a, b) => a[0] - b[0])
    expect(fired).toEqual(expected)
    for (let k = 1; k < fired.length; k++) {
      const [[t0, i0], [t1, i1]] = [fired[k - 1], fired[k]] as [[number, number], [number, number]]
      if (t0 === t1 && i0 >= 0 && i1 >= 0) expect(i1).toBeGreaterThan(i0)
    }
    expect(fired.filter(([, i]) => i >= 0 && i % 7 === 0)).toEqual([])
    expect(fired).toHaveLength(5000 - Math.ceil(5000 / 7) + 1)
    expect(clock.pendingTimers()).toBe(0)
    expect(clock.nextDue()).toBeUndefined()
  })
})
