import { describe, expect, it } from 'vitest'
import { channelId } from '../log/ids.js'
import type { PendingAction } from './control-actions.js'
import { makeTestLoop } from './test-control-kit.js'

const chat = channelId('chat')

describe('failure ring: dispatches that failed, numbered and bounded', () => {
  it('records executor failures reported as action-failed, labelled by action and target', async () => {
    const { loop, clock } = makeTestLoop({ config: { failureRingCapacity: 2 } })
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({ type: 'channel-opened', channel: chat })
    await clock.advanceAsync(10)
    const started = loop.actions.take() as PendingAction
    for (const reason of ['worker busy', 'quota', 'gone']) {
      await handle.publish({ type: 'action-failed', action: started, reason })
    }
    await clock.advanceAsync(10)
    expect(loop.snapshot().recentFailures).toEqual([
      { seq: 2, source: 'start-runtime:chat', reason: 'quota', recordedAtMs: 1_700_000_000_010 },
      { seq: 3, source: 'start-runtime:chat', reason: 'gone', recordedAtMs: 1_700_000_000_010 },
    ])
    await loop.stop()
  })

  it('records an abort-sync this peer could not carry out', async () => {
    const missing = makeTestLoop()
    const throwing = makeTestLoop({
      syncAborter: {
        abort() {
          throw new Error('no such session')
        },
      },
    })
    for (const t of [missing, throwing]) {
      const handle = t.loop.acquireHandle()
      t.loop.start()
      await handle.publish({
        type: 'signed-admin-commit',
        commit: t.keys.sign({ type: 'abort-sync', channel: chat }, t.clock.wallNow()),
      })
      await t.clock.advanceAsync(10)
    }
    expect(missing.loop.snapshot().recentFailures).toMatchObject([
      { seq: 1, source: 'abort-sync:chat', reason: expect.stringContaining('no sync aborter') },
    ])
    expect(throwing.loop.snapshot().recentFailures).toMatchObject([
      { seq: 1, source: 'abort-sync:chat', reason: 'sync aborter error: Error: no such session' },
    ])
    // The commit itself was accepted and audited either way.
    expect(missing.loop.snapshot().adminAudit[0]?.outcome).toEqual({ status: 'accepted' })
    await Promise.all([missing.loop.stop(), throwing.loop.stop()])
  })
})
