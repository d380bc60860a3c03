import { describe, expect, it } from 'vitest'
import {
  CATCHUP_BACKOFF_CAP_MS,
  CATCHUP_BACKOFF_THRESHOLD,
  CatchupBackoff,
} from './catchup-backoff.js'
import { N20, N30 } from './replication-test-kit.js'

const T0 = 1_000

function windowAfter(strikes: number): number {
  const backoff = new CatchupBackoff()
  for (let i = 0; i < strikes; i++) backoff.recordEmpty(N20, T0)
  let until = T0
  while (backoff.isInBackoff(N20, until)) until += 1
  return until - T0
}

describe('catch-up backoff grows exponentially past the threshold (R-28)', () => {
  it('opens 1 s, 2 s, 4 s … windows and caps them at 30 s', () => {
    const t = CATCHUP_BACKOFF_THRESHOLD
    expect(windowAfter(t)).toBe(0)
    expect(windowAfter(t + 1)).toBe(1_000)
    expect(windowAfter(t + 2)).toBe(2_000)
    expect(windowAfter(t + 3)).toBe(4_000)
    expect(windowAfter(t + 6)).toBe(CATCHUP_BACKOFF_CAP_MS)
    expect(windowAfter(t + 40)).toBe(CATCHUP_BACKOFF_CAP_MS)
  })

  it('is kept per leader', () => {
    const backoff = new CatchupBackoff()
    for (let i = 0; i <= CATCHUP_BACKOFF_THRESHOLD; i++) backoff.recordEmpty(N20, T0)
    expect(backoff.isInBackoff(N20, T0)).toBe(true)
    expect(backoff.isInBackoff(N30, T0)).toBe(false)
  })
})

describe('expired backoff entries are collected', () => {
  it('forgets leaders whose window ended a grace period ago, keeps counting ones', () => {
    const backoff = new CatchupBackoff()
    for (let i = 0; i <= CATCHUP_BACKOFF_THRESHOLD; i++) backoff.recordEmpty(N20, T0)
    backoff.recordEmpty(N30, T0)
    backoff.gcExpired(T0 + 1_000 + 59_999, 60_000)
    expect(backoff.size).toBe(2)
    backoff.gcExpired(T0 + 1_000 + 60_000, 60_000)
    expect(backoff.size).toBe(1)
    expect(backoff.strikes(N30)).toBe(1)
  })
})
