import { describe, expect, it } from 'vitest'
import { ClosedError } from '../errors.js'
import { channelId, peerId } from '../log/ids.js'
import type { AdminVerdict } from './admin-verifier.js'
import { LoopClosedError, QueueFullError } from './control-errors.js'
import type { ControlLoopExit } from './control-loop-options.js'
import { FakeAdminKeys, makeTestLoop, track } from './test-control-kit.js'

const connected = (name: string) => ({ type: 'peer-connected', peer: peerId(name) }) as const

describe('lifecycle: start and stop are idempotent, and every promise settles', () => {
  it('start twice runs one cadence', async () => {
    const { loop, clock } = makeTestLoop()
    loop.acquireHandle()
    loop.start()
    loop.start()
    await clock.advanceAsync(30)
    expect(loop.reconcileCount).toBe(3)
    await loop.stop()
  })

  it('stop before start exits at once; stop again returns the same exit', async () => {
    const { loop } = makeTestLoop()
    const exits: ControlLoopExit[] = []
    loop.on('exit', (event) => exits.push(event.detail))
    const first = await loop.stop()
    expect(first).toEqual({ reason: 'stopped', reconcileCount: 0 })
    expect(await loop.stop()).toBe(first)
    loop.start()
    expect(loop.running).toBe(false)
    expect(exits).toEqual([first])
    expect(() => loop.acquireHandle()).toThrow(LoopClosedError)
  })

  it('stop refuses new events, drops the backlog (counted) and rejects waiting publishers', async () => {
    const { loop } = makeTestLoop({ config: { eventQueueCapacity: 2 } })
    const handle = loop.acquireHandle()
    handle.tryPublish(connected('a'))
    handle.tryPublish(connected('b'))
    const waiting = track(handle.publish(connected('c')))
    await loop.stop()
    await Promise.resolve()
    expect(waiting.error).toBeInstanceOf(LoopClosedError)
    expect(() => handle.tryPublish(connected('d'))).toThrow(LoopClosedError)
    expect(loop.snapshot().counters.droppedEvents).toMatchObject({ discarded_at_exit: 3 })
    expect(loop.snapshot().peers).toEqual([])
  })

  it('stop does not wait on a hung verifier past stopDeadlineMs', async () => {
    const { loop, clock } = makeTestLoop({
      config: { stopDeadlineMs: 100, verifyTimeoutMs: 60_000 },
      adminVerifier: { verify: () => new Promise<AdminVerdict>(() => {}) },
    })
    const handle = loop.acquireHandle()
    loop.start()
    const keys = new FakeAdminKeys()
    await handle.publish({
      type: 'signed-admin-commit',
      commit: keys.sign({ type: 'unfreeze' }, clock.wallNow()),
    })
    await clock.advanceAsync(1)
    const exit = track(loop.stop())
    await clock.advanceAsync(99)
    expect(exit.settled).toBe(false)
    await clock.advanceAsync(1)
    expect(exit.value).toEqual({ reason: 'stopped', reconcileCount: 0 })
  })

  it('after exit the executor can take what was queued, then next() resolves undefined', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({ type: 'channel-opened', channel: channelId('x') })
    await clock.advanceAsync(10)
    await loop.stop()
    expect((await loop.actions.next())?.action.kind).toBe('start-runtime')
    expect(await loop.actions.next()).toBeUndefined()
  })
})

describe('publishing: a bounded inbox, bounded waiters, typed errors', () => {
  it('publish waits for room and waiting publishers are admitted in order', async () => {
    const { loop, clock } = makeTestLoop({ config: { eventQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    handle.tryPublish(connected('a'))
    const b = track(handle.publish(connected('b')))
    const c = track(handle.publish(connected('c')))
    await Promise.resolve()
    expect([b.settled, c.settled]).toEqual([false, false])
    loop.start()
    await clock.advanceAsync(10)
    expect([b.settled, c.settled, b.error, c.error]).toEqual([true, true, undefined, undefined])
    expect(loop.snapshot().peers.map((p) => p.peer)).toEqual(['a', 'b', 'c'])
    await loop.stop()
  })

  it('publishTimeout resolves when room appears before its deadline', async () => {
    const { loop, clock } = makeTestLoop({ config: { eventQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    handle.tryPublish(connected('a'))
    const late = track(handle.publishTimeout(connected('b'), 50))
    clock.setTimer(20, () => loop.start())
    await clock.advanceAsync(100)
    expect(late.settled).toBe(true)
    expect(late.error).toBeUndefined()
    await loop.stop()
  })

  it('refuses more waiting publishers than maxPublishWaiters at once', async () => {
    const { loop } = makeTestLoop({ config: { eventQueueCapacity: 1, maxPublishWaiters: 1 } })
    const handle = loop.acquireHandle()
    handle.tryPublish(connected('a'))
    const waiting = track(handle.publish(connected('b')))
    await expect(handle.publish(connected('c'))).rejects.toBeInstanceOf(QueueFullError)
    // While someone waits, tryPublish cannot jump the line.
    expect(() => handle.tryPublish(connected('d'))).toThrow(QueueFullError)
    await loop.stop()
    await Promise.resolve()
    expect(waiting.error).toBeInstanceOf(LoopClosedError)
  })

  it('an aborted publish rejects with the abort reason and frees its place', async () => {
    const { loop, clock } = makeTestLoop({ config: { eventQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    handle.tryPublish(connected('a'))
    const controller = new AbortController()
    const aborted = track(handle.publish(connected('b'), { signal: controller.signal }))
    controller.abort(new Error('gave up'))
    await Promise.resolve()
    expect((aborted.error as Error).message).toBe('gave up')
    loop.start()
    await clock.advanceAsync(10)
    expect(loop.snapshot().peers.map((p) => p.peer)).toEqual(['a'])
    await loop.stop()
  })

  it('a closed handle refuses events; the loop runs on while another handle is open', async () => {
    const { loop, clock } = makeTestLoop()
    const first = loop.acquireHandle()
    const second = loop.acquireHandle()
    loop.start()
    first.close()
    first.close()
    const refused = track(first.publish(connected('a')))
    await clock.advanceAsync(20)
    expect(refused.error).toBeInstanceOf(LoopClosedError)
    expect((refused.error as LoopClosedError).details).toEqual({ reason: 'handle-closed' })
    expect(loop.running).toBe(true)
    second.close()
    await clock.advanceAsync(0)
    expect((await loop.exited).reason).toBe('handles-released')
  })

  it('counts malformed events instead of folding them', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({ type: 'rtt-sample', peer: peerId('a'), rttMs: Number.NaN })
    await handle.publish({ type: 'storage-estimate', usageBytes: 5, quotaBytes: 0 })
    await handle.publish({ type: 'no-such-event' } as never)
    await clock.advanceAsync(10)
    expect(loop.snapshot().counters.droppedEvents).toMatchObject({ invalid_event: 3 })
    expect(loop.snapshot().storage).toBeUndefined()
    await loop.stop()
  })

  it('errors are typed with stable names and codes', () => {
    const full = new QueueFullError('x')
    const closed = new LoopClosedError('y')
    expect([full.name, full.code, closed.name, closed.code]).toEqual([
      'QueueFullError',
      'ERR_QUEUE_FULL',
      'LoopClosedError',
      'ERR_LOOP_CLOSED',
    ])
    expect(full).not.toBeInstanceOf(ClosedError)
  })
})
