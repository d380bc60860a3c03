/**
 * A replica notes its leader's heartbeats when they arrive, not when its
 * loop gets to them: a long step (a large chunk being checked and stored)
 * must not make a live leader look silent to the tick served right after.
 */
import { describe, expect, it } from 'vitest'
import type { ChannelId, Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { HeartbeatTracker } from './heartbeat-tracker.js'
import {
  CHANNEL,
  heartbeatFrom,
  makeKit,
  N10,
  N20,
  N30,
  promote,
  responseOf,
  runtimeFor,
  settle,
  writerFor,
} from './replication-test-kit.js'

const T0 = 5_000
const HEARTBEAT_MS = 100

describe('a heartbeat from the believed leader counts from its arrival', () => {
  it('keeps the believed leader fresh, and no one else', () => {
    const tracker = new HeartbeatTracker(HEARTBEAT_MS)
    tracker.recordHeartbeat(N20, 'leader', 1 as Seq, T0)
    tracker.recordHeartbeat(N30, 'replica', 1 as Seq, T0)
    tracker.leaderHeard(N20, T0 + 250)
    tracker.leaderHeard(N30, T0 + 250)
    expect(tracker.isLeaderSilent(T0 + 400)).toBe(false)
    expect(tracker.healthyPeers(T0 + 400)).toEqual([N20])
    // An arrival never moves the last heartbeat back.
    tracker.leaderHeard(N20, T0)
    expect(tracker.peerLag(N20, T0 + 250)).toBe(0)
  })
})

/** Holds every append until the test lets it go. */
class GatedStore extends MemoryLogStore {
  #gate: Promise<void> = Promise.resolve()
  #open: () => void = () => undefined
  appendsStarted = 0

  hold(): void {
    this.#gate = new Promise((resolve) => {
      this.#open = resolve
    })
  }

  release(): void {
    this.#open()
  }

  override async append(channel: ChannelId, entries: Parameters<MemoryLogStore['append']>[1]) {
    this.appendsStarted++
    await this.#gate
    return super.append(channel, entries)
  }
}

describe('a long step of the replica loop does not time its leader out', () => {
  it('stays a replica when the leader kept beating while a chunk was stored', async () => {
    const kit = await makeKit({ tail: 0 })
    const store = new GatedStore()
    await store.open()
    const replica = { ...kit, store }
    await promote(replica.coordinator, 'replica')
    const runtime = runtimeFor(replica, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: HEARTBEAT_MS,
    })
    runtime.tryDispatch(heartbeatFrom(N20, 'leader', 3))
    await settle(replica)
    const request = replica.dispatcher.syncRequests.at(-1)?.message
    expect(request).toBeDefined()

    store.hold()
    const entries = writerFor(replica, N20).next(3)
    runtime.tryDispatch({
      kind: 'sync-response',
      from: N20,
      message: responseOf(entries, request?.requestId ?? 0n, 0),
    })
    await settle(replica)
    expect(store.appendsStarted).toBe(1)
    // Five beats pass while the chunk is being stored; the leader's arrive.
    for (let beat = 0; beat < 5; beat++) {
      await replica.clock.advanceAsync(HEARTBEAT_MS)
      runtime.tryDispatch(heartbeatFrom(N20, 'leader', 3))
    }
    store.release()
    await settle(replica)

    expect(runtime.role).toBe('replica')
    expect(runtime.believedLeader).toBe(N20)
    expect(runtime.metrics().electionThrashTotal).toBe(0)
    expect(store.state(CHANNEL).nextSeq).toBe(3)
    await runtime.cancel()
  })
})
