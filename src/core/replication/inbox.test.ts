import { describe, expect, it } from 'vitest'
import type { Seq } from '../log/ids.js'
import type { Inbound } from './inbound.js'
import { ReplicationInboundRouter } from './inbound-router.js'
import { ReplicationInbox } from './inbox.js'
import { CHANNEL, heartbeatFrom, N20, responseOf } from './replication-test-kit.js'

const response: Inbound = { kind: 'sync-response', from: N20, message: responseOf([], 1n, 0) }
const request: Inbound = {
  kind: 'sync-request',
  from: N20,
  message: {
    channelId: CHANNEL,
    sinceSeq: 0 as Seq,
    chunkMax: 0,
    requestId: 1n,
    bandwidthClass: 'foreground',
  },
}

describe('the inbox has a low lane and a smaller priority lane', () => {
  it('routes shutdown, responses and nacks to the priority lane', () => {
    const inbox = new ReplicationInbox(2, 1)
    expect(inbox.tryPush(heartbeatFrom(N20, 'leader', 1))).toBe('queued')
    expect(inbox.tryPush(request)).toBe('queued')
    expect(inbox.tryPush(heartbeatFrom(N20, 'leader', 2))).toBe('full')
    expect(inbox.tryPush(response)).toBe('queued')
    expect(inbox.tryPush({ kind: 'shutdown' })).toBe('full')
    expect([inbox.lowSize, inbox.prioritySize]).toEqual([2, 1])
    expect(inbox.shiftPriority()).toBe(response)
    expect(inbox.shiftLow()?.kind).toBe('heartbeat')
  })

  it('refuses everything once closed and drains what it held', () => {
    const inbox = new ReplicationInbox()
    inbox.tryPush(request)
    inbox.tryPush(response)
    inbox.close()
    expect(inbox.tryPush({ kind: 'shutdown' })).toBe('closed')
    expect(inbox.drain()).toEqual([response, request])
  })
})

describe('the router hands frames to the channel runtime or gives them back', () => {
  it('counts a missing runtime, a full lane and a stopped runtime', () => {
    const router = new ReplicationInboundRouter()
    const event = heartbeatFrom(N20, 'leader', 1)
    expect(router.tryRoute(CHANNEL, event)).toBe(false)
    const inbox = new ReplicationInbox(1, 1)
    const runtime = { isStopped: false, tryDispatch: (e: Inbound) => inbox.tryPush(e) }
    const unregister = router.register(CHANNEL, runtime)
    expect(router.tryRoute(CHANNEL, event)).toBe(true)
    expect(router.tryRoute(CHANNEL, event)).toBe(false)
    runtime.isStopped = true
    expect(router.tryRoute(CHANNEL, event)).toBe(false)
    expect(router.size).toBe(0)
    expect(router.drops.snapshot()).toEqual({
      'no-runtime': 1,
      'inbox-full': 1,
      stopped: 1,
      total: 3,
    })
    unregister()
  })

  it('refuses a second live runtime for one channel', () => {
    const router = new ReplicationInboundRouter()
    const runtime = () => ({ isStopped: false, tryDispatch: () => 'queued' as const })
    router.register(CHANNEL, runtime())
    expect(() => router.register(CHANNEL, runtime())).toThrow(/already registered/)
  })
})
