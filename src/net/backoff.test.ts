import { describe, expect, it } from 'vitest'
import { AbortedError, InvalidArgumentError, TimeoutError } from '../core/errors.js'
import { backoffDelay, checkBackoff } from './backoff.js'
import { attemptDeadline, retry, sleep } from './deadline.js'
import { DialError } from './net-errors.js'

const policy = { initialMs: 100, maxMs: 1_000, factor: 2 }

describe('backoff', () => {
  it('doubles per failure up to the cap, with half of each delay jittered', () => {
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(policy, n, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ])
    expect([1, 2, 3, 4, 5, 9].map((n) => backoffDelay(policy, n, () => 0))).toEqual([
      50, 100, 200, 400, 500, 500,
    ])
  })

  it('refuses policies that are not bounded', () => {
    expect(() => checkBackoff({ initialMs: 0, maxMs: 10, factor: 2 })).toThrow(InvalidArgumentError)
    expect(() => checkBackoff({ initialMs: 10, maxMs: 5, factor: 2 })).toThrow(InvalidArgumentError)
    expect(() =>
      checkBackoff({ initialMs: 10, maxMs: Number.POSITIVE_INFINITY, factor: 2 }),
    ).toThrow(InvalidArgumentError)
  })
})

describe('retry: every attempt under a deadline, typed failures', () => {
  const base = {
    what: 'test dial',
    backoff: { initialMs: 1, maxMs: 2, factor: 2 },
    wrap: (message: string, cause: unknown) => new DialError(message, { cause }),
  }

  it('retries until an attempt succeeds', async () => {
    let calls = 0
    const value = await retry(
      async () => {
        calls++
        if (calls < 3) throw new Error('refused')
        return 'ok'
      },
      { ...base, attempts: 3, attemptTimeoutMs: 1_000 },
    )
    expect([value, calls]).toEqual(['ok', 3])
  })

  it('tells of each failed attempt, typed, but not of the one that succeeds', async () => {
    const failed: string[] = []
    let calls = 0
    await retry(
      async (signal) => {
        calls++
        if (calls === 1) throw new Error('refused')
        if (calls === 2) {
          return new Promise<never>((_, reject) => {
            signal.addEventListener('abort', () => reject(signal.reason))
          })
        }
        return 'ok'
      },
      {
        ...base,
        attempts: 3,
        attemptTimeoutMs: 20,
        onAttemptFailed: (error, n) => failed.push(`${n} ${error.name}`),
      },
    )
    expect(failed).toEqual(['1 DialError', '2 TimeoutError'])
  })

  it('an attempt that hangs past its deadline is a TimeoutError', async () => {
    const hang = (signal: AbortSignal) =>
      new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason))
      })
    await expect(
      retry(hang, { ...base, attempts: 2, attemptTimeoutMs: 20 }),
    ).rejects.toBeInstanceOf(TimeoutError)
  })

  it('doubles the deadline per attempt up to its bound', async () => {
    expect([1, 2, 3, 4, 5].map((n) => attemptDeadline(100, 500, n))).toEqual([
      100, 200, 400, 500, 500,
    ])
    expect(attemptDeadline(100, 50, 3)).toBe(100)
    const lived: number[] = []
    const hangAndTime = (signal: AbortSignal) => {
      const started = performance.now()
      return new Promise<never>((_, reject) => {
        signal.addEventListener('abort', () => {
          lived.push(performance.now() - started)
          reject(signal.reason)
        })
      })
    }
    await expect(
      retry(hangAndTime, { ...base, attempts: 3, attemptTimeoutMs: 20, attemptTimeoutMaxMs: 60 }),
    ).rejects.toBeInstanceOf(TimeoutError)
    expect(lived).toHaveLength(3)
    const [first, second, third] = lived as [number, number, number]
    expect(first).toBeGreaterThanOrEqual(18)
    expect(second).toBeGreaterThanOrEqual(38)
    expect(third).toBeGreaterThanOrEqual(58)
  })

  it('wraps the last plain failure', async () => {
    const failure = retry(
      async () => {
        throw new Error('refused')
      },
      { ...base, attempts: 2, attemptTimeoutMs: 1_000 },
    )
    await expect(failure).rejects.toBeInstanceOf(DialError)
  })

  it("stops at once, as AbortedError, when the caller's signal fires", async () => {
    const controller = new AbortController()
    const failure = retry(
      (signal) =>
        new Promise<never>((_, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason))
          controller.abort()
        }),
      { ...base, attempts: 5, attemptTimeoutMs: 10_000, signal: controller.signal },
    )
    await expect(failure).rejects.toBeInstanceOf(AbortedError)
    await expect(sleep(10_000, controller.signal)).rejects.toBeInstanceOf(AbortedError)
  })
})
