import { describe, expect, it } from 'vitest'
import { channelId, peerId } from '../log/ids.js'
import type { AdminCommand } from './admin-commands.js'
import { channelView, makeTestLoop, SELF, type TestLoop } from './test-control-kit.js'

const chat = channelId('chat')
const create: AdminCommand = { type: 'create-channel', channel: chat, replicaSet: [SELF] }

function started(t: TestLoop) {
  const handle = t.loop.acquireHandle()
  t.loop.start()
  return (command: AdminCommand) =>
    handle.publish({ type: 'signed-admin-commit', commit: t.keys.sign(command, t.clock.wallNow()) })
}

describe('freeze gate: while frozen, only emergency commands pass', () => {
  it('rejects every non-emergency command, audited as freeze-in-effect, until unfreeze', async () => {
    const t = makeTestLoop()
    const commit = started(t)
    await commit({ type: 'freeze' })
    await t.clock.advanceAsync(10)
    await commit(create)
    await commit({ type: 'drain-peer', peer: peerId('x') })
    await commit({ type: 'unfreeze' })
    await commit(create)
    await t.clock.advanceAsync(10)
    const snapshot = t.loop.snapshot()
    expect(snapshot.adminAudit.map((r) => [r.command.type, r.outcome.status])).toEqual([
      ['freeze', 'accepted'],
      ['create-channel', 'rejected'],
      ['drain-peer', 'rejected'],
      ['unfreeze', 'accepted'],
      ['create-channel', 'accepted'],
    ])
    expect(snapshot.adminAudit[1]?.outcome).toMatchObject({ kind: 'freeze-in-effect' })
    expect(channelView(snapshot, 'chat')).toBeDefined()
    expect(snapshot.freeze).toEqual({ frozen: false })
    await t.loop.stop()
  })

  it('lets abort-sync through a freeze: it is an emergency lever', async () => {
    const aborted: string[] = []
    const t = makeTestLoop({ syncAborter: { abort: (channel) => aborted.push(channel) } })
    const commit = started(t)
    await commit({ type: 'freeze' })
    await commit({ type: 'abort-sync', channel: chat })
    await t.clock.advanceAsync(10)
    expect(aborted).toEqual(['chat'])
    expect(t.loop.snapshot().freeze).toEqual({ frozen: true })
    await t.loop.stop()
  })

  it('a timed freeze lapses on the first tick at or after its end', async () => {
    const t = makeTestLoop()
    const commit = started(t)
    await t.clock.advanceAsync(10)
    await commit({ type: 'freeze', durationMs: 25 })
    await t.clock.advanceAsync(10)
    expect(t.loop.snapshot().freeze).toEqual({ frozen: true, until: 35 })
    await commit(create)
    await t.clock.advanceAsync(20)
    expect(t.loop.snapshot().freeze).toEqual({ frozen: false })
    await commit(create)
    await t.clock.advanceAsync(10)
    expect(t.loop.snapshot().adminAudit.map((r) => r.outcome.status)).toEqual([
      'accepted',
      'rejected',
      'accepted',
    ])
    await t.loop.stop()
  })

  it('judges the freeze at the last tick, so a replay of the same events judges the same', async () => {
    const run = async () => {
      const t = makeTestLoop()
      const commit = started(t)
      await t.clock.advanceAsync(10)
      await commit({ type: 'freeze', durationMs: 5 })
      // Loop time passes the freeze's end, but no tick has: the freeze still holds.
      await t.clock.advanceAsync(9)
      await commit(create)
      await t.clock.advanceAsync(1)
      const outcomes = t.loop.snapshot().adminAudit.map((r) => r.outcome.status)
      await t.loop.stop()
      return outcomes
    }
    expect(await run()).toEqual(['accepted', 'rejected'])
    expect(await run()).toEqual(['accepted', 'rejected'])
  })
})
