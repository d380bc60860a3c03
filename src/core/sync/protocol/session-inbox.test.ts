import { describe, expect, it } from 'vitest'
import { AbortedError } from '../../errors.js'
import { ManualClock } from '../../time/manual-clock.js'
import { SessionInbox } from './session-inbox.js'

describe('a session inbox is bounded and every wait has a timeout', () => {
  it('refuses past capacity; hands frames out in order', async () => {
    const clock = new ManualClock()
    const inbox = new SessionInbox<number>(2, clock)
    expect([inbox.push(1), inbox.push(2), inbox.push(3)]).toEqual([true, true, false])
    const signal = new AbortController().signal
    expect(await inbox.next(10, signal)).toBe(1)
    expect(await inbox.next(10, signal)).toBe(2)
  })

  it('a wait ends with undefined at its timeout, or with the frame that arrives first', async () => {
    const clock = new ManualClock()
    const inbox = new SessionInbox<string>(4, clock)
    const signal = new AbortController().signal
    const empty = inbox.next(100, signal)
    await clock.advanceAsync(100)
    expect(await empty).toBeUndefined()
    const waiting = inbox.next(100, signal)
    await clock.advanceAsync(40)
    inbox.push('late but in time')
    expect(await waiting).toBe('late but in time')
    expect(clock.pendingTimers()).toBe(0)
  })

  it('rejects with the signal reason when aborted; closing wakes the waiter', async () => {
    const clock = new ManualClock()
    const inbox = new SessionInbox<string>(4, clock)
    const abort = new AbortController()
    const waiting = inbox.next(1_000, abort.signal)
    abort.abort(new AbortedError('deadline'))
    await expect(waiting).rejects.toBeInstanceOf(AbortedError)
    const closing = inbox.next(1_000, new AbortController().signal)
    inbox.close()
    expect(await closing).toBeUndefined()
    expect(inbox.push('after close')).toBe(false)
  })
})
