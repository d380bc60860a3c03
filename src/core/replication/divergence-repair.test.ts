/**
 * Found by the simulator (seed 1 and nearly every seed before the fix): a
 * replica whose log holds entries its leader does not have (written by a
 * demoted leader in a dual-leader window or a partition) never converged.
 * Its catch-up chunks never chained onto that suffix (dropped as invalid,
 * every heartbeat), and with an equal or longer tail it never even asked.
 * Each test builds such a replica, lets it talk to a leader that answers
 * every request from its own log, and expects the replica to end with
 * exactly the leader's log.
 */
import { describe, expect, it } from 'vitest'
import type { Entry } from '../log/entry.js'
import type { Seq } from '../log/ids.js'
import { testLogWriter } from '../log/test-entries.js'
import { onInbound } from './on-inbound.js'
import { onTick } from './on-tick.js'
import {
  CHANNEL,
  contextFor,
  type Kit,
  makeKit,
  N10,
  N20,
  N30,
  promote,
  responseOf,
  writerFor,
} from './replication-test-kit.js'
import type { RuntimeContext } from './runtime-context.js'

interface Forked {
  readonly kit: Kit
  readonly ctx: RuntimeContext
  readonly leaderLog: readonly Entry[]
}

/**
 * A replica following N20. Both logs share `common` entries; then the
 * replica holds `own` entries of another leader, N20 holds `leaderMore`.
 */
async function forked(common: number, own: number, leaderMore: number): Promise<Forked> {
  const kit = await makeKit({ tail: 0 })
  await promote(kit.coordinator, 'replica')
  const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20, N30], heartbeatMs: 100 })
  const leaderLog = writerFor(kit, N20).next(common + leaderMore)
  await kit.store.append(CHANNEL, leaderLog.slice(0, common))
  const fork = leaderLog[common - 1] as Entry
  const other = testLogWriter(kit.hasher, CHANNEL, N30, {
    nextSeq: common as Seq,
    lastHash: fork.hash,
  }).next(own, 5)
  if (own > 0) await kit.store.append(CHANNEL, other)
  ctx.tracker.recordHeartbeat(N20, 'leader', leaderLog.length as Seq, kit.clock.now())
  return { kit, ctx, leaderLog }
}

/** N20 answers each request the replica sent, from its own log; returns requests answered. */
async function leaderAnswers({ kit, ctx, leaderLog }: Forked, rounds = 20): Promise<number[]> {
  const asked: number[] = []
  for (let round = 0; round < rounds; round++) {
    const request = kit.dispatcher.syncRequests.shift()
    if (request === undefined) {
      kit.clock.advance(100)
      await onTick(ctx)
      if (kit.dispatcher.syncRequests.length === 0) break
      continue
    }
    const since = request.message.sinceSeq
    asked.push(since)
    await onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(leaderLog.slice(since), request.message.requestId, since),
    })
  }
  return asked
}

async function held(kit: Kit): Promise<Uint8Array[]> {
  return (await kit.store.read(CHANNEL, 0 as Seq)).map((e) => e.hash)
}

describe('a replica cuts the part of its log its leader does not have', () => {
  it('behind the leader: cuts back past the fork (doubling) and catches up', async () => {
    const f = await forked(5, 6, 10)
    await onTick(f.ctx)
    const asked = await leaderAnswers(f)
    expect(await held(f.kit)).toEqual(f.leaderLog.map((e) => e.hash))
    // Asked from 11 (our tail), then 10, 8, 4 (cut 1, 2, 4): the 6 foreign
    // entries and one of the leader's, which came back with the last chunk.
    // Each chunk reached the leader's tail 15, so a request from there went
    // out before it was applied (a real leader would park it); each cut
    // forgets it, so the first three answers drop as unknown.
    expect(asked).toEqual([11, 15, 10, 15, 8, 15, 4, 15])
    expect(f.ctx.drops.get('unknown-request')).toBe(3)
    expect(f.kit.coordinator.metrics.get('divergentEntriesCutTotal')).toBe(7)
  })

  it('with the same tail as the leader: probes below the tail and repairs', async () => {
    const f = await forked(6, 4, 4)
    await onTick(f.ctx)
    expect(f.kit.dispatcher.syncRequests.map((r) => r.message.sinceSeq)).toEqual([9])
    await leaderAnswers(f)
    expect(await held(f.kit)).toEqual(f.leaderLog.map((e) => e.hash))
    expect(f.kit.coordinator.metrics.get('chainProbesTotal')).toBe(1)
  })

  it('ahead of the leader: cuts what lies past the leader log', async () => {
    const f = await forked(6, 5, 0)
    const cuts: string[] = []
    f.ctx.events.on('log-truncated', (e) =>
      cuts.push(`${e.detail.fromSeq}-${e.detail.toSeq} ${e.detail.cause}`),
    )
    await onTick(f.ctx)
    await leaderAnswers(f)
    expect(await held(f.kit)).toEqual(f.leaderLog.map((e) => e.hash))
    expect(cuts).toEqual(['6-11 beyond-leader'])
  })

  it('on the leader chain already: one probe confirms it, and it asks no more', async () => {
    const f = await forked(8, 0, 0)
    await onTick(f.ctx)
    expect(await leaderAnswers(f)).toEqual([7])
    f.kit.clock.advance(100)
    await onTick(f.ctx)
    expect(f.kit.dispatcher.syncRequests).toHaveLength(0)
    expect(f.ctx.drops.get('stale-chunk')).toBe(0)
    expect(f.kit.coordinator.metrics.get('divergentEntriesCutTotal')).toBe(0)
  })

  it('keeps a log the leader cut short only while the leader claims more', async () => {
    const f = await forked(6, 0, 0)
    f.ctx.tracker.recordHeartbeat(N20, 'leader', 9 as Seq, f.kit.clock.now())
    // A stale probe answer: N20 had only 6 entries when it read, says 9 now.
    f.ctx.outstanding.record(N20, 7n, f.kit.clock.now(), { heldTail: 6 })
    await onInbound(f.ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf([], 7n, 3),
    })
    expect(f.kit.store.state(CHANNEL).nextSeq).toBe(6)
  })
})

// Found by the main-thread budget test (src/client, 1 run in 3): a leader
// appending fast answered a request sent when the replica held 5,242 of its
// entries; by the time the answer came the replica held 9,000, and the
// leader's heartbeat (the tail a replica confirmed, so behind) did not
// claim more than the answer's end. The replica cut 3,758 of the leader's
// own entries as "beyond the leader" and fetched them again.
describe('a late answer is no evidence against entries that arrived after it was asked', () => {
  async function aheadOfALateAnswer(): Promise<Forked> {
    const f = await forked(20, 0, 0)
    f.ctx.tracker.recordHeartbeat(N20, 'leader', 10 as Seq, f.kit.clock.now())
    return f
  }

  it('keeps them after a chunk that ends below the tail', async () => {
    const f = await aheadOfALateAnswer()
    f.ctx.outstanding.record(N20, 7n, f.kit.clock.now(), { heldTail: 10 })
    await onInbound(f.ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(f.leaderLog.slice(10, 15), 7n, 10),
    })
    expect(f.kit.store.state(CHANNEL).nextSeq).toBe(20)
    expect(f.kit.coordinator.metrics.get('divergentEntriesCutTotal')).toBe(0)
    expect(f.ctx.drops.get('stale-chunk')).toBe(1)
  })

  it('keeps them after an empty chunk at the tail it was asked from', async () => {
    const f = await aheadOfALateAnswer()
    f.ctx.outstanding.record(N20, 8n, f.kit.clock.now(), { heldTail: 10 })
    await onInbound(f.ctx, { kind: 'sync-response', from: N20, message: responseOf([], 8n, 10) })
    expect(f.kit.store.state(CHANNEL).nextSeq).toBe(20)
    expect(f.kit.coordinator.metrics.get('divergentEntriesCutTotal')).toBe(0)
  })

  it('asks from the end of a held chunk below what it held, and trims on an empty answer there', async () => {
    const f = await aheadOfALateAnswer()
    f.ctx.outstanding.record(N20, 9n, f.kit.clock.now(), { heldTail: 20 })
    // The leader's log may end at 15, or its caps cut the chunk there.
    await onInbound(f.ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(f.leaderLog.slice(10, 15), 9n, 10),
    })
    expect(f.kit.store.state(CHANNEL).nextSeq).toBe(20)
    const [ask] = f.kit.dispatcher.syncRequests.splice(0)
    expect(ask?.message.sinceSeq).toBe(15)
    // It ends there: the leader holds nothing from 15.
    await onInbound(f.ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf([], ask?.message.requestId ?? 0n, 15),
    })
    expect(f.kit.store.state(CHANNEL).nextSeq).toBe(15)
    expect(f.kit.coordinator.metrics.get('divergentEntriesCutTotal')).toBe(5)
  })
})

// Found by the simulator (seed 75: 7 peers, ch-c; also seeds 65, 126, 163,
// 186): p5 cut its tail from 62 to 56 while an answer to its request from
// 60 was in flight; the answer then started past its tail, read as a gap,
// and skipped its log to 60 over everything it held, onto a chain it could
// no longer repair (invariant 3).
describe('answers to requests made before a cut are retired with it', () => {
  it('drops an answer that asked from the old tail instead of skipping ahead', async () => {
    const f = await forked(5, 6, 10)
    // Issued a heartbeat ago: still answerable, but no longer holding the tick's request back.
    f.ctx.outstanding.record(N20, 41n, f.kit.clock.now() - f.ctx.heartbeatMs)
    await onTick(f.ctx)
    const [request] = f.kit.dispatcher.syncRequests.splice(0)
    const since = request?.message.sinceSeq ?? -1
    await onInbound(f.ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(f.leaderLog.slice(since), request?.message.requestId ?? 0n, since),
    })
    expect(f.kit.store.state(CHANNEL).nextSeq).toBe(10)
    // The answer to the older request (from 11, our tail before the cut).
    await onInbound(f.ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(f.leaderLog.slice(11), 41n, 11),
    })
    expect(f.kit.store.state(CHANNEL)).toMatchObject({ firstSeq: 0, nextSeq: 10 })
    expect(f.ctx.drops.get('unknown-request')).toBe(1)
    expect(f.kit.coordinator.metrics.get('skipAheadTotal')).toBe(0)
  })
})
