/**
 * Replica-side rules beyond the seed's own tests: request tokens, catch-up
 * backoff, disk pressure, skip-ahead, forged chunks, NACK handling and
 * pulling without waiting for the next tick.
 */
import { describe, expect, it } from 'vitest'
import type { Entry } from '../log/entry.js'
import type { PeerId, Seq } from '../log/ids.js'
import { seededRng } from '../random/rng.js'
import { CATCHUP_BACKOFF_THRESHOLD } from './catchup-backoff.js'
import type { NackReason } from './messages.js'
import { onInbound } from './on-inbound.js'
import { READ_AHEAD_DEPTH } from './on-sync-response.js'
import { onTick } from './on-tick.js'
import { REQUEST_TTL_MS } from './outstanding-requests.js'
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
  responseOf,
  writerFor,
} from './replication-test-kit.js'
import type { RuntimeContext, RuntimeContextOptions } from './runtime-context.js'

/** A replica (local tail 0) following N20, which claims `leaderTail`. */
async function follower(
  leaderTail: number,
  extra: Partial<RuntimeContextOptions> = {},
): Promise<{ kit: Kit; ctx: RuntimeContext; leaderLog: Entry[] }> {
  const kit = await makeKit({ tail: 0 })
  await promote(kit.coordinator, 'replica')
  const ctx = contextFor(kit, {
    self: N10,
    replicaSet: [N10, N20, N30],
    heartbeatMs: 100,
    ...extra,
  })
  ctx.tracker.recordHeartbeat(N20, 'leader', leaderTail as Seq, kit.clock.now())
  return { kit, ctx, leaderLog: writerFor(kit, N20).next(12) }
}

function answer(ctx: RuntimeContext, entries: readonly Entry[], firstSeq: number, floor = 0) {
  const requestId = ctx.rng.nextU64()
  ctx.outstanding.record(N20, requestId, ctx.clock.now())
  return onInbound(ctx, {
    kind: 'sync-response',
    from: N20,
    message: responseOf(entries, requestId, firstSeq, floor),
  })
}

function nackFrom(from: PeerId, reason: NackReason, requestId: bigint, since = 0, floor = 0) {
  return {
    kind: 'sync-nack' as const,
    from,
    message: {
      channelId: CHANNEL,
      sinceSeq: since as Seq,
      reason,
      leaderFirstRetainedSeq: floor as Seq,
      requestId,
      detail: '',
    },
  }
}

describe('requests carry random 64-bit tokens that answers must echo (R-23)', () => {
  it('mints each token from the injected rng and records it', async () => {
    const { kit, ctx } = await follower(10)
    await onTick(ctx)
    // A heartbeat later the first request counts as lost, so the tick asks again.
    kit.clock.advance(ctx.heartbeatMs)
    ctx.tracker.recordHeartbeat(N20, 'leader', 10 as Seq, kit.clock.now())
    await onTick(ctx)
    const expected = seededRng(1)
    expect(kit.dispatcher.syncRequests.map((r) => r.message.requestId)).toEqual([
      expected.nextU64(),
      expected.nextU64(),
    ])
    expect(ctx.outstanding.size).toBe(2)
  })

  it('retires the token before the other gates, even when the answer is then dropped', async () => {
    const { kit, ctx } = await follower(10)
    await kit.coordinator.transitionTo('candidate', 'missed-heartbeats')
    ctx.outstanding.record(N20, 5n, kit.clock.now())
    const event = { kind: 'sync-response' as const, from: N20, message: responseOf([], 5n, 0) }
    await onInbound(ctx, event)
    expect(ctx.drops.get('wrong-role')).toBe(1)
    expect(ctx.outstanding.size).toBe(0)
    await onInbound(ctx, event)
    expect(ctx.drops.get('unknown-request')).toBe(1)
  })

  it('refuses an answer whose token expired', async () => {
    const { kit, ctx, leaderLog } = await follower(10)
    ctx.outstanding.record(N20, 5n, kit.clock.now())
    kit.clock.advance(REQUEST_TTL_MS)
    ctx.tracker.recordHeartbeat(N20, 'leader', 10 as Seq, kit.clock.now())
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(0, 3), 5n, 0),
    })
    expect(ctx.drops.get('unknown-request')).toBe(1)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
  })

  it('drops a leader’s tokens when it stops being the followed leader', async () => {
    const { kit, ctx } = await follower(10)
    ctx.outstanding.record(N20, 1n, kit.clock.now())
    ctx.outstanding.record(N20, 2n, kit.clock.now())
    await onInbound(ctx, nackFrom(N20, 'not-leader', 1n))
    expect(ctx.tracker.believedLeader).toBeUndefined()
    expect(ctx.outstanding.size).toBe(0)
  })
})

describe('empty answers from a leader that claims more back off catch-up (R-28)', () => {
  it('skips requests during the window and resumes after it', async () => {
    const { kit, ctx } = await follower(100)
    for (let i = 0; i <= CATCHUP_BACKOFF_THRESHOLD; i++) await answer(ctx, [], 0)
    expect(ctx.backoff.strikes(N20)).toBe(CATCHUP_BACKOFF_THRESHOLD + 1)
    const sentBefore = kit.dispatcher.syncRequests.length
    await onTick(ctx)
    expect(kit.dispatcher.syncRequests).toHaveLength(sentBefore)
    expect(kit.coordinator.metrics.get('catchupBackoffSkipsTotal')).toBe(1)
    kit.clock.advance(1_000)
    ctx.tracker.recordHeartbeat(N20, 'leader', 100 as Seq, kit.clock.now())
    await onTick(ctx)
    expect(kit.dispatcher.syncRequests).toHaveLength(sentBefore + 1)
  })

  it('clears the strikes on progress', async () => {
    const { ctx, leaderLog } = await follower(12)
    await answer(ctx, [], 0)
    await answer(ctx, [], 0)
    expect(ctx.backoff.strikes(N20)).toBe(2)
    const progress: number[] = []
    ctx.events.on('catch-up-progress', (event) => progress.push(event.detail.tailSeq))
    await answer(ctx, leaderLog.slice(0, 4), 0)
    expect(ctx.backoff.strikes(N20)).toBe(0)
    expect(progress).toEqual([4])
  })

  it('does not strike when the leader claims no more than we hold', async () => {
    const { ctx } = await follower(0)
    await answer(ctx, [], 0)
    expect(ctx.backoff.strikes(N20)).toBe(0)
  })
})

describe('a full store applies the disk-pressure policy', () => {
  it('withdraws to idle under withdraw', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    const seen: string[] = []
    ctx.events.on('disk-pressure', (event) => seen.push(event.detail.action))
    kit.store.setQuotaBytes(20)
    await answer(ctx, leaderLog.slice(0, 3), 0)
    expect(kit.coordinator.role).toBe('idle')
    expect(seen).toEqual(['withdrew'])
    expect(kit.coordinator.metrics.get('underCapacityTotal')).toBe(1)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
  })

  it('sweeps retention and stays replica under evict-oldest', async () => {
    const { kit, ctx, leaderLog } = await follower(12, { diskPressurePolicy: 'evict-oldest' })
    await kit.store.setRetention(CHANNEL, { maxEntries: 2 })
    await answer(ctx, leaderLog.slice(0, 4), 0)
    kit.store.setQuotaBytes(4 * 16)
    await answer(ctx, leaderLog.slice(4, 6), 4)
    expect(kit.coordinator.role).toBe('replica')
    expect(kit.store.state(CHANNEL).firstSeq).toBe(2)
    // The next chunk fits now that the sweep made room.
    await answer(ctx, leaderLog.slice(4, 6), 4)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(6)
  })
})

describe('a chunk past our tail skips ahead and is applied', () => {
  it('treats a chunk starting at the leader floor as a trim', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    const jumps: string[] = []
    ctx.events.on('skip-ahead', (e) => jumps.push(`${e.detail.fromSeq}→${e.detail.toSeq}`))
    ctx.events.on('divergence-suspected', () => jumps.push('divergence'))
    await answer(ctx, leaderLog.slice(6, 9), 6, 6)
    expect(kit.store.state(CHANNEL)).toMatchObject({ firstSeq: 6, nextSeq: 9 })
    expect(jumps).toEqual(['0→6'])
    expect(kit.coordinator.metrics.get('skipAheadTotal')).toBe(1)
  })

  it('warns when the jump does not start at the leader floor', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    let warned = 0
    ctx.events.on('divergence-suspected', () => {
      warned += 1
    })
    await answer(ctx, leaderLog.slice(6, 9), 6, 2)
    expect(warned).toBe(1)
    expect(kit.coordinator.metrics.get('divergenceSuspectedTotal')).toBe(1)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(9)
  })
})

describe('a forged chunk changes nothing and is counted', () => {
  it('drops entries whose hashes do not match their contents', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    const forged = leaderLog
      .slice(0, 3)
      .map((e, i) => (i === 1 ? { ...e, payload: new Uint8Array(16).fill(9) } : e))
    await answer(ctx, forged, 0)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    expect(ctx.drops.get('invalid-entries')).toBe(1)
  })
})

describe('NACKs count only from the followed leader, for a live request', () => {
  it('drops a NACK from another member and one with an unknown token', async () => {
    const { kit, ctx } = await follower(12)
    ctx.outstanding.record(N30, 1n, kit.clock.now())
    await onInbound(ctx, nackFrom(N30, 'not-leader', 1n))
    await onInbound(ctx, nackFrom(N20, 'not-leader', 77n))
    expect(ctx.drops.get('not-believed-leader')).toBe(1)
    expect(ctx.drops.get('unknown-request')).toBe(1)
    expect(ctx.tracker.believedLeader).toBe(N20)
  })

  it('changes nothing on backpressure', async () => {
    const { kit, ctx } = await follower(12)
    ctx.outstanding.record(N20, 1n, kit.clock.now())
    await onInbound(ctx, nackFrom(N20, 'backpressure', 1n))
    expect(ctx.tracker.believedLeader).toBe(N20)
    expect(kit.coordinator.role).toBe('replica')
    expect(kit.coordinator.metrics.snapshot().nacksReceived.backpressure).toBe(1)
  })

  it('goes idle on channel-closed', async () => {
    const { kit, ctx } = await follower(12)
    ctx.outstanding.record(N20, 1n, kit.clock.now())
    await onInbound(ctx, nackFrom(N20, 'channel-closed', 1n))
    expect(kit.coordinator.role).toBe('idle')
  })

  it('skips past the refused seq when bad-range carries no floor', async () => {
    const { kit, ctx } = await follower(12)
    await kit.store.skipTo(CHANNEL, 5 as Seq)
    ctx.outstanding.record(N20, 1n, kit.clock.now())
    await onInbound(ctx, nackFrom(N20, 'bad-range', 1n, 5, 0))
    expect(kit.store.state(CHANNEL).nextSeq).toBe(6)
  })

  it('never lets bad-range wipe entries without moving forward', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    await kit.store.append(CHANNEL, leaderLog.slice(0, 10))
    ctx.outstanding.record(N20, 1n, kit.clock.now())
    await onInbound(ctx, nackFrom(N20, 'bad-range', 1n, 0, 3))
    expect(kit.store.state(CHANNEL)).toMatchObject({ firstSeq: 0, nextSeq: 10 })
    expect(ctx.drops.get('skip-rejected')).toBe(1)
  })
})

describe('a replica pulls as soon as it learns the leader is ahead (beyond the seed)', () => {
  it('requests on a leader heartbeat, coalescing with a request in flight', async () => {
    const { kit, ctx } = await follower(0)
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 10))
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 12))
    expect(kit.dispatcher.syncRequests).toHaveLength(1)
    kit.clock.advance(100)
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 12))
    expect(kit.dispatcher.syncRequests).toHaveLength(2)
  })

  it('waits longer before asking again when the leader has been slow to answer', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 12))
    const [first] = kit.dispatcher.syncRequests
    // A loaded leader answers after three heartbeats; the replica reads ahead from there.
    kit.clock.advance(300)
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(0, 4), first?.message.requestId ?? 0n, 0, 0),
    })
    const asked = kit.dispatcher.syncRequests.length
    expect(asked).toBeGreaterThan(1)
    // A heartbeat later those answers are likely on their way: no second request for them.
    kit.clock.advance(150)
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 12))
    expect(kit.dispatcher.syncRequests).toHaveLength(asked)
    // Twice the slow answer later they are taken for lost, and asked again.
    kit.clock.advance(450)
    await onInbound(ctx, heartbeatFrom(N20, 'leader', 12))
    expect(kit.dispatcher.syncRequests).toHaveLength(asked + 1)
    expect(kit.dispatcher.syncRequests.at(-1)?.message.sinceSeq).toBe(4)
  })

  it('asks for the next chunks right after applying one while still behind', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    await answer(ctx, leaderLog.slice(0, 4), 0)
    expect(kit.dispatcher.syncRequests.map((r) => r.message.sinceSeq)).toEqual([4, 8])
    await answer(ctx, leaderLog.slice(4, 12), 4)
    expect(kit.dispatcher.syncRequests).toHaveLength(2)
  })
})

describe('a replica reads chunks ahead while it applies the last (beyond the seed)', () => {
  it('asks for the next chunks before applying one that leaves the leader ahead', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    let tailWhenAsked: number | undefined
    const send = kit.dispatcher.sendSyncRequest.bind(kit.dispatcher)
    kit.dispatcher.sendSyncRequest = (to, message) => {
      tailWhenAsked = kit.store.state(CHANNEL).nextSeq
      return send(to, message)
    }
    await answer(ctx, leaderLog.slice(0, 4), 0)
    // The leader holds 12: one from this chunk's end, one chained after it
    // (where the leader's answer to the first ends; 8 is our estimate).
    const [first, chained] = kit.dispatcher.syncRequests.map((r) => r.message)
    expect([first?.sinceSeq, chained?.sinceSeq]).toEqual([4, 8])
    expect(first?.afterRequestId).toBeUndefined()
    expect(chained?.afterRequestId).toBe(first?.requestId)
    expect(tailWhenAsked).toBe(0)
    expect(ctx.metrics.get('readAheadRequestsTotal')).toBe(2)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(4)
  })

  it('keeps at most READ_AHEAD_DEPTH requests in flight while chunks come back full', async () => {
    const { kit, ctx, leaderLog } = await follower(12, { chunkMax: 16 })
    // Chunks cut at the budget say the leader holds more, whatever its heartbeat said.
    ctx.tracker.recordHeartbeat(N20, 'leader', 0 as Seq, kit.clock.now())
    await answer(ctx, leaderLog.slice(0, 2), 0)
    expect(kit.dispatcher.syncRequests).toHaveLength(READ_AHEAD_DEPTH)
    const ids = kit.dispatcher.syncRequests.map((r) => r.message.requestId)
    expect(kit.dispatcher.syncRequests.map((r) => r.message.afterRequestId)).toEqual([
      undefined,
      ...ids.slice(0, -1),
    ])
    // The first answer lands; one more request keeps the depth.
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(2, 4), ids[0] as bigint, 2, 0),
    })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(4)
    expect(kit.dispatcher.syncRequests).toHaveLength(READ_AHEAD_DEPTH + 1)
    expect(kit.dispatcher.syncRequests.at(-1)?.message.afterRequestId).toBe(ids.at(-1))
  })

  it('takes a chained answer only at its tail, and forgets the read-aheads after a misplaced one', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    await answer(ctx, leaderLog.slice(0, 4), 0)
    const [first, chained] = kit.dispatcher.syncRequests.splice(0).map((r) => r.message)
    // The leader answered the chained request from 6 (it did not answer the first from 4).
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(6, 8), chained?.requestId as bigint, 6, 0),
    })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(4)
    expect(ctx.metrics.get('readAheadDiscardedTotal')).toBe(1)
    // The first read-ahead was forgotten with it: its answer drops, and we pulled from the tail.
    expect(kit.dispatcher.syncRequests.map((r) => r.message.sinceSeq)).toEqual([4])
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(4, 8), first?.requestId as bigint, 4, 0),
    })
    expect(ctx.drops.get('unknown-request')).toBe(1)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(4)
  })

  it('takes the answer ahead once the chunk before it landed', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    await answer(ctx, leaderLog.slice(0, 4), 0)
    const ahead = kit.dispatcher.syncRequests[0]?.message.requestId as bigint
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(4, 8), ahead, 4, 0),
    })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(8)
    expect(ctx.metrics.get('readAheadDiscardedTotal')).toBe(0)
  })

  it('drops the answer ahead of a refused chunk and pulls again from its tail, never skipping', async () => {
    const { kit, ctx, leaderLog } = await follower(12)
    const tampered = leaderLog
      .slice(0, 4)
      .map((e, i) => (i === 2 ? { ...e, payload: new Uint8Array(16).fill(9) } : e))
    await answer(ctx, tampered, 0)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    const ahead = kit.dispatcher.syncRequests[0]?.message
    expect(ahead?.sinceSeq).toBe(4)
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(4, 8), ahead?.requestId as bigint, 4, 0),
    })
    expect(kit.store.state(CHANNEL).firstSeq).toBe(0)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    expect(ctx.metrics.get('skipAheadTotal')).toBe(0)
    expect(ctx.metrics.get('readAheadDiscardedTotal')).toBe(1)
    expect(ctx.drops.get('stale-chunk')).toBe(1)
    expect(kit.dispatcher.syncRequests.at(-1)?.message.sinceSeq).toBe(0)
  })

  it('asks once from the end of a chunk that reaches the leader tail, before applying it', async () => {
    const { kit, ctx, leaderLog } = await follower(4)
    let tailWhenAsked: number | undefined
    const send = kit.dispatcher.sendSyncRequest.bind(kit.dispatcher)
    kit.dispatcher.sendSyncRequest = (to, message) => {
      tailWhenAsked = kit.store.state(CHANNEL).nextSeq
      return send(to, message)
    }
    await answer(ctx, leaderLog.slice(0, 4), 0)
    // One request, not chained, waits at the leader for its next append.
    const asked = kit.dispatcher.syncRequests.map((r) => r.message)
    expect(asked.map((m) => [m.sinceSeq, m.afterRequestId])).toEqual([[4, undefined]])
    expect(tailWhenAsked).toBe(0)
    expect(ctx.metrics.get('readAheadRequestsTotal')).toBe(0)
    expect(ctx.metrics.get('parkAheadRequestsTotal')).toBe(1)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(4)
  })

  it('takes the answer to the parked request as the next chunk, and parks again', async () => {
    const { kit, ctx, leaderLog } = await follower(4)
    await answer(ctx, leaderLog.slice(0, 4), 0)
    const parked = kit.dispatcher.syncRequests.splice(0)[0]?.message
    // The leader appended two more and answered the parked request with them.
    ctx.tracker.recordHeartbeat(N20, 'leader', 6 as Seq, kit.clock.now())
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(4, 6), parked?.requestId as bigint, 4, 0),
    })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(6)
    expect(kit.dispatcher.syncRequests.map((r) => r.message.sinceSeq)).toEqual([6])
    expect(ctx.drops.get('stale-chunk')).toBe(0)
  })

  it('asks nothing more after an empty answer at its tail (the hold ran out)', async () => {
    const { kit, ctx, leaderLog } = await follower(4)
    await answer(ctx, leaderLog.slice(0, 4), 0)
    const parked = kit.dispatcher.syncRequests.splice(0)[0]?.message
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf([], parked?.requestId as bigint, 4, 0),
    })
    expect(kit.dispatcher.syncRequests).toHaveLength(0)
  })
})

describe('a duplicate request does not stall catch-up (beyond the seed)', () => {
  it('pulls on when the answer to a duplicate comes back already held', async () => {
    const { kit, ctx, leaderLog } = await follower(4)
    // A tick's request for the range already asked for, still in flight.
    const duplicate = ctx.rng.nextU64()
    ctx.outstanding.record(N20, duplicate, ctx.clock.now())
    await answer(ctx, leaderLog.slice(0, 4), 0)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(4)
    expect(kit.dispatcher.syncRequests).toHaveLength(0)
    // Meanwhile the leader appended and said so.
    ctx.tracker.recordHeartbeat(N20, 'leader', 12 as Seq, kit.clock.now())
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(0, 4), duplicate, 0, 0),
    })
    expect(kit.dispatcher.syncRequests.map((r) => r.message.sinceSeq)).toEqual([4])
  })
})

describe('a tick does not duplicate a pull still in flight (beyond the seed)', () => {
  it('skips its catch-up request within a heartbeat of the last one, and asks again after', async () => {
    const { kit, ctx } = await follower(10)
    const fresh = () => ctx.tracker.recordHeartbeat(N20, 'leader', 10 as Seq, kit.clock.now())
    await onTick(ctx)
    expect(kit.dispatcher.syncRequests).toHaveLength(1)
    kit.clock.advance(ctx.heartbeatMs - 1)
    fresh()
    await onTick(ctx)
    expect(kit.dispatcher.syncRequests).toHaveLength(1)
    expect(ctx.metrics.get('tickPullsCoalescedTotal')).toBe(1)
    kit.clock.advance(1)
    fresh()
    await onTick(ctx)
    expect(kit.dispatcher.syncRequests).toHaveLength(2)
  })
})
