import { describe, expect, it } from 'vitest'
import { BACKGROUND_STARVE_WINDOW_MS_DEFAULT, BandwidthBudget } from './bandwidth-budget.js'

const T0 = 1_000
const budget = (peak = 1_000, fraction = 1) =>
  new BandwidthBudget({ fraction, peakBytesPerSecond: peak, now: T0 })

describe('the budget is a token bucket of one second of fraction × peak', () => {
  it('starts full, refills per elapsed time, and never holds more than a second', () => {
    const b = budget(1_000, 0.5)
    expect(b.capacityBytes).toBe(500)
    expect(b.tryConsume(500, 'foreground', T0)).toBe(true)
    expect(b.tryConsume(1, 'foreground', T0)).toBe(false)
    expect(b.availableBytes(T0 + 100)).toBe(50)
    expect(b.availableBytes(T0 + 60_000)).toBe(500)
  })

  it('admits a foreground chunk larger than the whole bucket once, from a full bucket', () => {
    const b = budget(100)
    expect(b.tryConsume(250, 'foreground', T0)).toBe(true)
    expect(b.availableBytes()).toBe(0)
    expect(b.tryConsume(250, 'foreground', T0 + 500)).toBe(false)
  })
})

describe('background requests leave a reserve for foreground', () => {
  it('admits background only if (1 - fraction) × capacity remains afterwards', () => {
    const b = budget(100)
    expect(b.tryConsume(31, 'background', T0, 0.3)).toBe(false)
    expect(b.tryConsume(30, 'background', T0, 0.3)).toBe(true)
    expect(b.tryConsume(1, 'background', T0, 0.3)).toBe(false)
    expect(b.tryConsume(70, 'foreground', T0)).toBe(true)
  })

  it('forces one background admission after the starve window', () => {
    const b = budget(100)
    expect(b.tryConsume(100, 'foreground', T0)).toBe(true)
    const late = T0 + BACKGROUND_STARVE_WINDOW_MS_DEFAULT + 1
    expect(b.tryConsume(100, 'foreground', late)).toBe(true) // keeps the bucket drained
    expect(b.tryConsume(50, 'background', late)).toBe(true)
    expect(b.tryConsume(50, 'background', late)).toBe(false)
  })
})

describe('a failed send refunds the budget', () => {
  it('gives the bytes back, capped at capacity', () => {
    const b = budget(100)
    expect(b.tryConsume(80, 'foreground', T0)).toBe(true)
    b.refund(80)
    expect(b.availableBytes()).toBe(100)
    b.refund(80)
    expect(b.availableBytes()).toBe(100)
  })
})
