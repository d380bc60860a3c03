import { describe, expect, it } from 'vitest'
import { channelId } from '../log/ids.js'
import type { RecoveryEvent, RecoveryView } from './recovery-registry.js'
import { makeTestLoop } from './test-control-kit.js'

const chat = channelId('chat')

describe('recovery registry: handlers run after probes, before reconcile, isolated', () => {
  it('a runtime a handler reports dead is restarted by the same tick', async () => {
    const { loop, clock } = makeTestLoop()
    let crashed = false
    loop.recovery.register({
      name: 'runtime-watchdog',
      recover: (view: RecoveryView): RecoveryEvent[] =>
        crashed && view.runtimes.get(chat)?.status === 'running'
          ? [{ type: 'runtime-stopped', channel: chat }]
          : [],
    })
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({ type: 'channel-opened', channel: chat })
    await clock.advanceAsync(10)
    await handle.publish({ type: 'runtime-started', channel: chat })
    await clock.advanceAsync(10)
    const before = loop.snapshot().recentlyEmitted.length
    crashed = true
    await clock.advanceAsync(10)
    const emitted = loop.snapshot().recentlyEmitted.slice(before)
    expect(emitted.map((e) => `${e.kind}@${e.emittedAt}`)).toEqual(['start-runtime@30'])
    await loop.stop()
  })

  it('a throwing handler is skipped and counted; output past the limit or of a forbidden type is dropped', async () => {
    const { loop, clock } = makeTestLoop({ config: { maxRecoveryEventsPerTick: 2 } })
    loop.recovery.register({
      name: 'broken',
      recover() {
        throw new Error('handler bug')
      },
    })
    loop.recovery.register({
      name: 'chatty',
      recover: () =>
        [
          { type: 'peer-health', peer: 'a', health: 'degraded' },
          { type: 'shutdown' } as unknown as RecoveryEvent,
          { type: 'peer-health', peer: 'b', health: 'degraded' },
          { type: 'peer-health', peer: 'c', health: 'degraded' },
        ] as RecoveryEvent[],
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(10)
    const snapshot = loop.snapshot()
    expect(loop.running).toBe(true)
    expect(snapshot.counters.recoveryFailures).toBe(1)
    expect(snapshot.counters.droppedEvents).toMatchObject({ recovery_dropped: 2 })
    expect(snapshot.peers.map((p) => p.peer)).toEqual(['a', 'b'])
    loop.recovery.unregister('broken')
    expect(loop.recovery.size).toBe(1)
    await loop.stop()
  })
})
