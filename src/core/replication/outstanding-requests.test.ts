import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  IN_FLIGHT_WINDOW_MAX_FACTOR,
  OutstandingRequests,
  REQUEST_TTL_MS,
} from './outstanding-requests.js'
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

describe('a request counts as in flight for as long as its answer may take', () => {
  const HEARTBEAT = 500

  it('twice the slowest recent answer from that leader, when longer than the window', () => {
    const tokens = new OutstandingRequests()
    tokens.record(N20, 1n, T0)
    // A loaded leader took 700 ms to answer.
    tokens.take(N20, 1n, T0 + 700)
    tokens.record(N20, 2n, T0 + 1_000)
    expect(tokens.hasInFlight(N20, T0 + 1_000 + HEARTBEAT, HEARTBEAT)).toBe(true)
    expect(tokens.hasInFlight(N20, T0 + 1_000 + 1_399, HEARTBEAT)).toBe(true)
    expect(tokens.hasInFlight(N20, T0 + 1_000 + 1_400, HEARTBEAT)).toBe(false)
    // Only that leader's requests wait longer.
    tokens.record(N30, 3n, T0 + 1_000)
    expect(tokens.hasInFlight(N30, T0 + 1_000 + HEARTBEAT, HEARTBEAT)).toBe(false)
  })

  it('never longer than IN_FLIGHT_WINDOW_MAX_FACTOR windows, so a lost request is asked again', () => {
    const tokens = new OutstandingRequests()
    tokens.record(N20, 1n, T0)
    tokens.take(N20, 1n, T0 + 20_000)
    expect(tokens.answerWindowMs(N20, HEARTBEAT)).toBe(IN_FLIGHT_WINDOW_MAX_FACTOR * HEARTBEAT)
  })

  it('shrinks back as answers come fast again, and with a change of leader', () => {
    const tokens = new OutstandingRequests()
    tokens.record(N20, 1n, T0)
    tokens.take(N20, 1n, T0 + 1_000)
    expect(tokens.answerWindowMs(N20, HEARTBEAT)).toBe(2_000)
    let windows = 0
    for (let id = 2n; tokens.answerWindowMs(N20, HEARTBEAT) > HEARTBEAT; id++) {
      tokens.record(N20, id, T0)
      tokens.take(N20, id, T0 + 10)
      windows++
    }
    // Each answer scales the slowest remembered by 0.75: 1 s fades below half a heartbeat in five.
    expect(windows).toBe(5)
    tokens.record(N30, 9n, T0)
    tokens.take(N30, 9n, T0 + 1_000)
    tokens.clearLeader(N30)
    expect(tokens.answerWindowMs(N30, HEARTBEAT)).toBe(HEARTBEAT)
  })

  it('a request the leader may park counts for its hold on top, and its wait is no answer time', () => {
    const tokens = new OutstandingRequests()
    tokens.record(N20, 1n, T0, { parkMs: 750 })
    expect(tokens.hasInFlight(N20, T0 + HEARTBEAT + 749, HEARTBEAT)).toBe(true)
    expect(tokens.hasInFlight(N20, T0 + HEARTBEAT + 750, HEARTBEAT)).toBe(false)
    // Answered by the leader's append 5 s later: says nothing of how busy it is.
    tokens.take(N20, 1n, T0 + 5_000)
    expect(tokens.answerWindowMs(N20, HEARTBEAT)).toBe(HEARTBEAT)
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
