import { describe, expect, it } from 'vitest'
import { AbortedError, ClosedError, TimeoutError } from '../errors.js'
import { sleep } from '../time/clock.js'
import { ManualClock } from '../time/manual-clock.js'
import { TaskGroup } from './task-group.js'

describe('a task group tracks the tasks it owns', () => {
  it('lists running tasks and forgets settled ones, whether they resolve or reject', async () => {
    const clock = new ManualClock()
    const group = new TaskGroup(clock, 'g')
    const ok = group.spawn('ok', (signal) => sleep(clock, 10, signal).then(() => 1))
    const bad = group.spawn('bad', () => Promise.reject(new Error('no')))
    expect(group.activeTasks()).toEqual(['ok', 'bad'])
    await expect(bad).rejects.toThrow('no')
    expect(group.activeTasks()).toEqual(['ok'])
    await clock.advanceAsync(10)
    await expect(ok).resolves.toBe(1)
    expect(group.size).toBe(0)
  })

  it('a task that throws synchronously still settles', async () => {
    const group = new TaskGroup(new ManualClock(), 'g')
    const thrown = group.spawn('sync', () => {
      throw new Error('sync')
    })
    await expect(thrown).rejects.toThrow('sync')
    expect(group.size).toBe(0)
  })

  it('waitForIdle times out on the clock', async () => {
    const clock = new ManualClock()
    const group = new TaskGroup(clock, 'g')
    void group.spawn('forever', () => new Promise(() => {}))
    const idle = expect(group.waitForIdle(1_000)).rejects.toBeInstanceOf(TimeoutError)
    await clock.advanceAsync(1_000)
    await idle
  })
})

describe('shutdown drains within its deadline, then aborts', () => {
  it('drained when every task finishes in time', async () => {
    const clock = new ManualClock()
    const group = new TaskGroup(clock, 'g')
    void group.spawn('short', () => sleep(clock, 500))
    const report = group.shutdown(2_000)
    await clock.advanceAsync(500)
    await expect(report).resolves.toEqual({ drained: true, abortedTasks: [] })
  })

  it('aborts stragglers at the deadline even if they ignore the signal; refuses new tasks', async () => {
    const clock = new ManualClock()
    const group = new TaskGroup(clock, 'g')
    let sawAbort = false
    const stuck = group.spawn('stuck', (signal) => {
      signal.addEventListener('abort', () => {
        sawAbort = true
      })
      return new Promise(() => {})
    })
    const report = group.shutdown(2_000)
    expect(group.shutdown(5)).toBe(report)
    await expect(group.spawn('late', async () => 1)).rejects.toBeInstanceOf(ClosedError)
    await clock.advanceAsync(1_999)
    expect(group.activeTasks()).toEqual(['stuck'])
    await clock.advanceAsync(1)
    await expect(report).resolves.toEqual({ drained: false, abortedTasks: ['stuck'] })
    await expect(stuck).rejects.toBeInstanceOf(AbortedError)
    expect(sawAbort).toBe(true)
    expect(group.activeTasks()).toEqual([])
  })
})
