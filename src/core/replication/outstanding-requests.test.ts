import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OutstandingRequests, REQUEST_TTL_MS } from './outstanding-requests.js'
import { N20, N30 } from './replication-test-kit.js'

const T0 = 1_000

describe('answers match a request still in flight (R-23)', () => {
  it('takes a token once', () => {
    const tokens = new OutstandingRequests()
    tokens.record(N20, 42n, T0)
    expect(tokens.take(N30, 42n, T0)).toBe(false)
    expect(tokens.take(N20, 42n, T0)).toBe(true)
    expect(tokens.take(N20, 42n, T0)).toBe(false)
  })

  it('refuses (and removes) a token past its TTL', () => {
    const tokens = new OutstandingRequests()
    tokens.record(N20, 1n, T0)
    expect(tokens.take(N20, 1n, T0 + REQUEST_TTL_MS)).toBe(false)
    expect(tokens.size).toBe(0)
  })

  it('clears every token of a leader and only those', () => {
    const tokens = new OutstandingRequests()
    tokens.record(N20, 1n, T0)
    tokens.record(N20, 2n, T0)
    tokens.record(N30, 3n, T0)
    tokens.clearLeader(N20)
    expect(tokens.size).toBe(1)
    expect(tokens.take(N30, 3n, T0)).toBe(true)
  })

  it('knows whether a request to a leader is younger than a window', () => {
    const tokens = new OutstandingRequests()
    tokens.record(N20, 1n, T0)
    expect(tokens.hasInFlight(N20, T0 + 99, 100)).toBe(true)
    expect(tokens.hasInFlight(N20, T0 + 100, 100)).toBe(false)
    expect(tokens.hasInFlight(N30, T0, 100)).toBe(false)
  })
})

describe('the token set stays bounded', () => {
  it('drops expired tokens first, then the oldest, at the soft cap', () => {
    const tokens = new OutstandingRequests(3)
    tokens.record(N20, 1n, T0)
    tokens.record(N20, 2n, T0 + REQUEST_TTL_MS)
    tokens.record(N20, 3n, T0 + REQUEST_TTL_MS)
    // At the cap: token 1 has expired and goes; nothing live is evicted.
    tokens.record(N20, 4n, T0 + REQUEST_TTL_MS)
    expect(tokens.size).toBe(3)
    expect(tokens.evicted).toBe(0)
    // Still full of live tokens: the oldest (2) makes room.
    tokens.record(N30, 5n, T0 + REQUEST_TTL_MS)
    expect(tokens.size).toBe(3)
    expect(tokens.evicted).toBe(1)
    expect(tokens.take(N20, 2n, T0 + REQUEST_TTL_MS)).toBe(false)
    expect(tokens.take(N30, 5n, T0 + REQUEST_TTL_MS)).toBe(true)
  })
})

describe('the token set never outgrows its cap (property)', () => {
  it('holds at most the cap, and every live recorded token is taken at most once', () => {
    const seed = process.env.SEED === undefined ? undefined : Number(process.env.SEED)
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(
          fc.record({
            leader: fc.constantFrom(N20, N30),
            id: fc.bigInt({ min: 0n, max: 5n }),
            dt: fc.integer({ min: 0, max: 20_000 }),
            take: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        (cap, ops) => {
          const tokens = new OutstandingRequests(cap)
          let now = T0
          for (const op of ops) {
            now += op.dt
            if (op.take) {
              const first = tokens.take(op.leader, op.id, now)
              if (first) expect(tokens.take(op.leader, op.id, now)).toBe(false)
            } else {
              tokens.record(op.leader, op.id, now)
            }
            expect(tokens.size).toBeLessThanOrEqual(cap)
          }
        },
      ),
      seed === undefined ? {} : { seed },
    )
  })
})
