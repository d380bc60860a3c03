import { describe, expect, it } from 'vitest'
import { AbortedError, InvalidArgumentError, TimeoutError } from '../core/errors.js'
import { ManualClock } from '../core/time/manual-clock.js'
import { checkTimeoutMs, withDeadline } from './call-deadline.js'

const never = () => new Promise<never>(() => undefined)

describe('every call settles', () => {
  it('with its own result when it comes first', async () => {
    const clock = new ManualClock()
    await expect(withDeadline('x', Promise.resolve(7), { timeoutMs: 10 }, clock)).resolves.toBe(7)
    await expect(
      withDeadline('x', Promise.reject(new RangeError('no')), { timeoutMs: 10 }, clock),
    ).rejects.toBeInstanceOf(RangeError)
    expect(clock.pendingTimers()).toBe(0)
  })

  it('with TimeoutError at the deadline, naming the call', async () => {
    const clock = new ManualClock()
    const call = withDeadline('status', never(), { timeoutMs: 100 }, clock)
    clock.advance(99)
    clock.advance(1)
    const error = await call.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TimeoutError)
    expect(error).toMatchObject({ details: { call: 'status', timeoutMs: 100 } })
  })

  it('with AbortedError when the signal fires, or at once when it already has', async () => {
    const clock = new ManualClock()
    const controller = new AbortController()
    const call = withDeadline('read', never(), { timeoutMs: 100, signal: controller.signal }, clock)
    controller.abort(new Error('user left'))
    const error = await call.catch((e: unknown) => e)
    expect(error).toBeInstanceOf(AbortedError)
    expect((error as Error).cause).toMatchObject({ message: 'user left' })
    expect(clock.pendingTimers()).toBe(0)
    await expect(
      withDeadline('read', never(), { timeoutMs: 100, signal: controller.signal }, clock),
    ).rejects.toBeInstanceOf(AbortedError)
  })

  it('refuses deadlines that are not positive, finite milliseconds', () => {
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '10', 2 ** 31]) {
      expect(() => checkTimeoutMs('timeoutMs', bad)).toThrow(InvalidArgumentError)
    }
    expect(checkTimeoutMs('timeoutMs', 1)).toBe(1)
  })
})
