import { describe, expect, it } from 'vitest'
import { AbortedError } from '../../errors.js'
import { ManualClock } from '../../time/manual-clock.js'
import { FetchBudget } from './fetch-budget.js'

describe('the fetch budget is a token bucket on the injected clock', () => {
  it('a full bucket serves a burst at once; the rest waits for the refill rate', async () => {
    const clock = new ManualClock()
    const budget = new FetchBudget({ clock, bytesPerSecond: 1_000, burstBytes: 2_000 })
    const times: number[] = []
    const takes = [0, 1, 2, 3].map((i) =>
      budget.take(1_000, new AbortController().signal).then(() => times.push(clock.now() + i * 0)),
    )
    await clock.advanceAsync(0)
    expect(times).toEqual([0, 0])
    await clock.advanceAsync(2_000)
    await Promise.all(takes)
    expect(times).toEqual([0, 0, 1_000, 2_000])
    expect(budget.waitedMs).toBe(2_000)
  })

  it('refunds return what a chunk did not use; the bucket never holds more than a burst', async () => {
    const clock = new ManualClock()
    const budget = new FetchBudget({ clock, bytesPerSecond: 100, burstBytes: 500 })
    await budget.take(500, new AbortController().signal)
    expect(budget.available()).toBe(0)
    budget.refund(300)
    expect(budget.available()).toBe(300)
    clock.advance(60_000)
    budget.refund(1_000)
    expect(budget.available()).toBe(500)
  })

  it('a take larger than the bucket waits for a full bucket instead of forever', async () => {
    const clock = new ManualClock()
    const budget = new FetchBudget({ clock, bytesPerSecond: 100, burstBytes: 100 })
    await budget.take(100, new AbortController().signal)
    let done = false
    void budget.take(10_000, new AbortController().signal).then(() => {
      done = true
    })
    await clock.advanceAsync(999)
    expect(done).toBe(false)
    await clock.advanceAsync(1)
    expect(done).toBe(true)
  })

  it('an aborted take rejects with the reason and leaves the queue to the next', async () => {
    const clock = new ManualClock()
    const budget = new FetchBudget({ clock, bytesPerSecond: 10, burstBytes: 10 })
    await budget.take(10, new AbortController().signal)
    const abort = new AbortController()
    const stuck = budget.take(10, abort.signal)
    const next = budget.take(10, new AbortController().signal)
    abort.abort(new AbortedError('session ended'))
    await expect(stuck).rejects.toBeInstanceOf(AbortedError)
    await clock.advanceAsync(1_000)
    await expect(next).resolves.toBeUndefined()
  })

  it('rejects a rate or burst that is not positive', () => {
    const clock = new ManualClock()
    expect(() => new FetchBudget({ clock, bytesPerSecond: 0, burstBytes: 1 })).toThrow(
      /bytesPerSecond/,
    )
    expect(() => new FetchBudget({ clock, bytesPerSecond: 1, burstBytes: Number.NaN })).toThrow(
      /burstBytes/,
    )
  })
})
