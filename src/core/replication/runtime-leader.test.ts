/**
 * Leader-side rules beyond the seed's own tests: serving and the budget,
 * the role re-check after the read, dual leaders, elections, local appends
 * and tail notices.
 */
import { describe, expect, it, vi } from 'vitest'
import { GENESIS_HASH } from '../log/entry.js'
import { verifyEntries } from '../log/entry-chain.js'
import type { Seq } from '../log/ids.js'
import { StorageFullError } from '../log/log-errors.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { APPEND_GROUP_MAX_ENTRIES } from './append-group.js'
import { BandwidthBudget } from './bandwidth-budget.js'
import type { ReplicationCoordinator } from './coordinator.js'
import { onInbound } from './on-inbound.js'
import { onTick } from './on-tick.js'
import { InboxFullError } from './replication-errors.js'
import {
  CHANNEL,
  contextFor,
  heartbeatFrom,
  type Kit,
  makeKit,
  N10,
  N20,
  N30,
  promote,
  runtimeFor,
  SEED_TAIL,
  settle,
  syncRequestFrom,
  writerFor,
} from './replication-test-kit.js'
import { estimateResponseBytes } from './response-size.js'

const request = (sinceSeq: number, requestId = 1n) => syncRequestFrom(N20, sinceSeq, { requestId })

async function leaderWithLog(entries = 5): Promise<Kit> {
  const kit = await makeKit({ tail: 0 })
  await promote(kit.coordinator, 'leader')
  if (entries > 0) await kit.store.append(CHANNEL, writerFor(kit, N10).next(entries))
  return kit
}

const budgetOf = (kit: Kit) =>
  new BandwidthBudget({ fraction: 1, peakBytesPerSecond: 100_000, now: kit.clock.now() })

/** A store whose reads demote the leader before they return (a role flip mid-serve). */
class DemotingStore extends MemoryLogStore {
  coordinator: ReplicationCoordinator | undefined
  override async read(...args: Parameters<MemoryLogStore['read']>) {
    const entries = await super.read(...args)
    await this.coordinator?.transitionTo('idle', 'graceful-relinquish')
    return entries
  }
}

describe('serving a chunk spends the budget and counts sync bytes', () => {
  it('counts the bytes shipped and refunds the budget when the send fails', async () => {
    const kit = await leaderWithLog()
    const budget = budgetOf(kit)
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100, budget })
    await onInbound(ctx, request(0))
    const [sent] = kit.dispatcher.syncResponses
    if (sent === undefined) throw new Error('no response sent')
    const bytes = estimateResponseBytes(sent.message)
    expect(sent.message.entries).toHaveLength(5)
    expect(kit.coordinator.metrics.get('syncBytesTotal')).toBe(bytes)
    expect(budget.availableBytes()).toBe(100_000 - bytes)

    kit.dispatcher.failing.add('sync-response')
    await onInbound(ctx, request(0, 2n))
    expect(kit.coordinator.metrics.get('syncBytesTotal')).toBe(2 * bytes)
    expect(budget.availableBytes()).toBe(100_000 - bytes)
    expect(kit.coordinator.metrics.snapshot().sendFailures['sync-response']).toBe(1)
  })

  it('NACKs a request below its floor with bad-range and the floor', async () => {
    const kit = await leaderWithLog(10)
    await kit.store.setRetention(CHANNEL, { maxEntries: 3 })
    await kit.store.sweepRetention(CHANNEL)
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await onInbound(ctx, request(2))
    expect(kit.dispatcher.syncNacks.map((n) => n.message)).toMatchObject([
      { reason: 'bad-range', leaderFirstRetainedSeq: 7, sinceSeq: 2, requestId: 1n },
    ])
  })
})

describe('a leader demoted while reading does not ship the chunk (R-1)', () => {
  it('NACKs not-leader after the read and leaves the budget whole', async () => {
    const kit = await leaderWithLog()
    const store = new DemotingStore({ backing: kit.store.backing })
    await store.open()
    store.coordinator = kit.coordinator
    const budget = budgetOf(kit)
    const ctx = contextFor(kit, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 100,
      store,
      budget,
    })
    await onInbound(ctx, request(0))
    expect(kit.coordinator.role).toBe('idle')
    expect(kit.dispatcher.syncResponses).toHaveLength(0)
    expect(kit.dispatcher.syncNacks.map((n) => n.message.reason)).toEqual(['not-leader'])
    expect(budget.availableBytes()).toBe(100_000)
  })
})

describe('dual leaders converge on one', () => {
  it('the loser follows the winner and pulls from it', async () => {
    const kit = await makeKit() // tail 42
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 10))
    expect(kit.coordinator.role).toBe('leader') // 42 > 10: we win
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 99))
    expect(kit.coordinator.role).toBe('replica')
    expect(ctx.tracker.believedLeader).toBe(N20)
    await onTick(ctx)
    expect(kit.dispatcher.syncRequests.map((r) => [r.target, r.message.sinceSeq])).toEqual([
      [N20, 42],
    ])
  })
})

describe('a candidate elects by RTT over itself and the healthy peers', () => {
  it('follows a healthy peer that ties self on RTT with a smaller id', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, {
      self: N30,
      replicaSet: [N10, N20, N30],
      heartbeatMs: 100,
      rttLookup: (peer) => (peer === N20 ? 0 : 5),
    })
    const t0 = kit.clock.now()
    ctx.tracker.recordHeartbeat(N10, 'leader', 42 as Seq, t0)
    ctx.tracker.recordHeartbeat(N20, 'replica', 42 as Seq, t0 + 250)
    kit.clock.advance(300)
    await onTick(ctx)
    expect(kit.coordinator.role).toBe('replica')
    expect(kit.coordinator.metrics.snapshot().transitionsBySignal['election-lost']).toBe(1)
    expect(ctx.tracker.believedLeader).toBeUndefined()
  })

  it('stays candidate while nobody is eligible and retries on later ticks', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'candidate')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N20, N30], heartbeatMs: 100 })
    await onTick(ctx)
    expect(kit.coordinator.role).toBe('candidate')
    ctx.tracker.recordHeartbeat(N20, 'replica', 42 as Seq, kit.clock.now())
    await onTick(ctx)
    expect(kit.coordinator.role).toBe('replica')
    expect(kit.coordinator.metrics.get('electionsRunTotal')).toBe(2)
  })
})

describe('only the leader commits, sealing entries onto its tail', () => {
  it('does not commit an append on a non-leader: it waits in the outbox (offline-writes)', async () => {
    const kit = await makeKit()
    await promote(kit.coordinator, 'replica')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    expect(await runtime.append([new Uint8Array([1])])).toEqual({
      pending: { author: N10, authorSeq: 0 },
      count: 1,
    })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(SEED_TAIL)
    await runtime.cancel()
  })

  it('appends a verifiable, chained batch authored by the leader', async () => {
    const kit = await leaderWithLog(0)
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    const appended: number[] = []
    runtime.on('entries-appended', (event) => appended.push(event.detail.nextSeq))
    const payloads = [1, 2, 3].map((n) => new Uint8Array([n]))
    expect(await runtime.append(payloads)).toEqual({ firstSeq: 0, nextSeq: 3 })
    expect(await runtime.append([new Uint8Array([4])])).toEqual({ firstSeq: 3, nextSeq: 4 })
    const entries = await kit.store.read(CHANNEL, 0 as Seq)
    expect(() =>
      verifyEntries(kit.hasher, entries, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }),
    ).not.toThrow()
    expect(entries.map((e) => [e.author, e.authorSeq, e.payload[0]])).toEqual([
      [N10, 0, 1],
      [N10, 1, 2],
      [N10, 2, 3],
      [N10, 3, 4],
    ])
    expect(appended).toEqual([3, 4])
    await runtime.cancel()
  })

  it('takes turns between local appends and the low lane, so appends cannot hold a request back', async () => {
    const kit = await leaderWithLog(0)
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    // Each as large as a group may be: three turns.
    const full = Array.from({ length: APPEND_GROUP_MAX_ENTRIES }, (_, i) => new Uint8Array([i]))
    const appends = [1, 2, 3].map(() => runtime.append(full))
    await runtime.dispatch(request(0))
    await Promise.all(appends)
    await settle(kit)
    // Served after the first append, before the other two.
    expect(kit.dispatcher.syncResponses.map((r) => r.message.entries.length)).toEqual([
      APPEND_GROUP_MAX_ENTRIES,
    ])
    expect(kit.store.state(CHANNEL).nextSeq).toBe(3 * APPEND_GROUP_MAX_ENTRIES)
    await runtime.cancel()
  })

  it('commits the appends waiting as one, each answered with its own seqs', async () => {
    const kit = await leaderWithLog(0)
    const appendRun = vi.spyOn(kit.store, 'appendRun')
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    const results = await Promise.all([
      runtime.append([new Uint8Array([1])]),
      runtime.append([new Uint8Array([2]), new Uint8Array([3])]),
      runtime.append([new Uint8Array([4])]),
    ])
    expect(results).toEqual([
      { firstSeq: 0, nextSeq: 1 },
      { firstSeq: 1, nextSeq: 3 },
      { firstSeq: 3, nextSeq: 4 },
    ])
    expect(appendRun).toHaveBeenCalledTimes(1)
    expect(runtime.metrics().appendsGroupedTotal).toBe(2)
    const stored = await kit.store.read(CHANNEL, 0 as Seq)
    expect(stored.map((e) => [e.authorSeq, e.payload[0]])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ])
    await runtime.cancel()
  })

  it('tries each append alone when the group fails', async () => {
    const kit = await leaderWithLog(0)
    vi.spyOn(kit.store, 'appendRun').mockRejectedValueOnce(new Error('a transient failure'))
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    const results = await Promise.all([
      runtime.append([new Uint8Array([1])]),
      runtime.append([new Uint8Array([2])]),
    ])
    expect(results).toEqual([
      { firstSeq: 0, nextSeq: 1 },
      { firstSeq: 1, nextSeq: 2 },
    ])
    expect(runtime.metrics().appendsGroupedTotal).toBe(0)
    await runtime.cancel()
  })

  it('rejects with StorageFullError and applies the disk-pressure policy', async () => {
    const kit = await leaderWithLog(0)
    kit.store.setQuotaBytes(0)
    const runtime = runtimeFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await expect(runtime.append([new Uint8Array([1])])).rejects.toBeInstanceOf(StorageFullError)
    expect(kit.coordinator.role).toBe('idle')
    await runtime.cancel()
  })

  it('bounds the appends waiting for the loop', async () => {
    const kit = await leaderWithLog(0)
    const runtime = runtimeFor(kit, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 100,
      appendBacklog: 1,
    })
    const first = runtime.append([new Uint8Array([1])])
    await expect(runtime.append([new Uint8Array([2])])).rejects.toBeInstanceOf(InboxFullError)
    await expect(first).resolves.toEqual({ firstSeq: 0, nextSeq: 1 })
    await runtime.cancel()
  })
})

describe('a leader notifies replicas when its tail advances (beyond the seed)', () => {
  it('sends a notice at once, then at most one per interval with the latest tail', async () => {
    const kit = await leaderWithLog(0)
    const runtime = runtimeFor(kit, {
      self: N10,
      replicaSet: [N10, N20, N30],
      heartbeatMs: 1_000,
      tailNoticeMinIntervalMs: 50,
    })
    const tails = () => kit.dispatcher.heartbeats.map((h) => [h.target, h.message.tailSeq])
    await runtime.append([new Uint8Array([1])])
    await settle(kit)
    expect(tails()).toEqual([
      [N20, 1],
      [N30, 1],
    ])
    for (let i = 0; i < 3; i++) {
      await runtime.append([new Uint8Array([i])])
      await kit.clock.advanceAsync(10)
    }
    expect(tails()).toHaveLength(2)
    await kit.clock.advanceAsync(20)
    expect(tails().slice(2)).toEqual([
      [N20, 4],
      [N30, 4],
    ])
    await kit.clock.advanceAsync(500)
    expect(tails()).toHaveLength(4)
    expect(kit.coordinator.metrics.get('tailNoticesSentTotal')).toBe(2)
    await runtime.cancel()
  })
})

describe('a chained read-ahead starts where the last answer to its replica ended (beyond the seed)', () => {
  const chunkOf = (kit: Kit, index: number) => {
    const sent = kit.dispatcher.syncResponses[index]?.message
    return [sent?.firstSeq, sent?.entries.length]
  }

  it("serves after the predecessor's end, whatever the replica estimated", async () => {
    const kit = await leaderWithLog(12)
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    const payload = (await kit.store.read(CHANNEL, 0 as Seq, 1 as Seq))[0]?.payload.byteLength ?? 1
    const chunkMax = payload * 4
    await onInbound(ctx, syncRequestFrom(N20, 0, { requestId: 1n, chunkMax }))
    await onInbound(ctx, syncRequestFrom(N20, 9, { requestId: 2n, chunkMax, afterRequestId: 1n }))
    await onInbound(ctx, syncRequestFrom(N20, 3, { requestId: 3n, chunkMax, afterRequestId: 2n }))
    expect([chunkOf(kit, 0), chunkOf(kit, 1), chunkOf(kit, 2)]).toEqual([
      [0, 4],
      [4, 4],
      [8, 4],
    ])
  })

  it('falls back to sinceSeq when the predecessor was not its last answer', async () => {
    const kit = await leaderWithLog(12)
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20, N30], heartbeatMs: 100 })
    await onInbound(ctx, syncRequestFrom(N20, 0, { requestId: 1n }))
    // Another replica's answers do not count, nor does an id never answered.
    await onInbound(ctx, syncRequestFrom(N30, 2, { requestId: 5n, afterRequestId: 1n }))
    await onInbound(ctx, syncRequestFrom(N20, 6, { requestId: 2n, afterRequestId: 7n }))
    expect([chunkOf(kit, 1)[0], chunkOf(kit, 2)[0]]).toEqual([2, 6])
  })
})
