/**
 * Offline-first writes in one runtime: an append anywhere but on the
 * leader waits in the durable outbox, is forwarded to the believed leader
 * (again after a leader change), leaves the outbox only once seen committed
 * in the local log, and survives divergence repair by being proposed again;
 * the leader commits each write exactly once, per author in order.
 */
import { describe, expect, it } from 'vitest'
import type { Entry } from '../log/entry.js'
import type { PeerId, Seq } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { testLogWriter } from '../log/test-entries.js'
import { cutDivergentTail } from './divergence-repair.js'
import type { PeerInbound } from './inbound.js'
import { commitAsLeader } from './leader-append.js'
import { onInbound } from './on-inbound.js'
import { moveOutbox } from './outbox-flow.js'
import { planProposals } from './propose-plan.js'
import {
  CHANNEL,
  contextFor,
  type Kit,
  makeKit,
  N10,
  N20,
  N30,
  promote,
  runtimeFor,
  settle,
  writerFor,
} from './replication-test-kit.js'
import type { RuntimeContext } from './runtime-context.js'

const write = (author: PeerId, authorSeq: number, byte = authorSeq): OutboxEntry => ({
  author,
  authorSeq,
  payload: Uint8Array.of(byte),
})

function propose(from: PeerId, entries: OutboxEntry[]): PeerInbound {
  return { kind: 'propose', from, message: { channelId: CHANNEL, entries } }
}

async function leaderCtx(kit: Kit): Promise<RuntimeContext> {
  await promote(kit.coordinator, 'leader')
  return contextFor(kit, { self: N10, replicaSet: [N10, N20, N30], heartbeatMs: 100 })
}

async function keys(kit: Kit): Promise<string[]> {
  return (await kit.store.read(CHANNEL, 0 as Seq)).map((e) => `${e.author}#${e.authorSeq}`)
}

describe('the leader commits each forwarded write once, per author in order', () => {
  it('commits mark + 1 onwards, skips duplicates, holds back writes past a hole', () => {
    const marks = new Map<PeerId, number>([[N20, 1]])
    const plan = planProposals(
      [write(N20, 3), write(N20, 1), write(N30, 0), write(N20, 2), write(N30, 2), write(N20, 5)],
      (author) => marks.get(author) ?? -1,
    )
    expect(plan.accepted.map((e) => `${e.author}#${e.authorSeq}`)).toEqual([
      'node-20#2',
      'node-20#3',
      'node-30#0',
    ])
    expect(plan).toMatchObject({ duplicates: 1, waiting: 2 })
  })

  it('duplicated and reordered Propose frames: every write lands exactly once, in authorSeq order', async () => {
    const kit = await makeKit({ tail: 0 })
    const ctx = await leaderCtx(kit)
    const signature = new Uint8Array(64).fill(7)
    // Frame 2 overtakes frame 1; frame 1 is then delivered twice; a relay re-sends both.
    await onInbound(ctx, propose(N20, [write(N20, 2), write(N20, 3)]))
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    await onInbound(ctx, propose(N20, [write(N20, 0), { ...write(N20, 1), signature }]))
    await onInbound(ctx, propose(N20, [write(N20, 0), { ...write(N20, 1), signature }]))
    await onInbound(ctx, propose(N20, [write(N20, 2), write(N20, 3)]))
    await onInbound(ctx, propose(N30, [write(N20, 3), write(N20, 1), write(N30, 0)]))
    expect(await keys(kit)).toEqual([
      'node-20#0',
      'node-20#1',
      'node-20#2',
      'node-20#3',
      'node-30#0',
    ])
    const entries = await kit.store.read(CHANNEL, 0 as Seq)
    expect(Array.from((entries[1] as Entry).signature ?? [])).toEqual(Array.from(signature))
    expect(ctx.metrics.get('proposeWaitingTotal')).toBe(2)
    expect(ctx.metrics.get('proposeDuplicatesTotal')).toBe(4)
    expect(ctx.metrics.get('proposedWritesCommittedTotal')).toBe(5)
  })

  it('dedupe across restart: a re-sent write is recognised by a restarted leader', async () => {
    const kit = await makeKit({ tail: 0 })
    const ctx = await leaderCtx(kit)
    await onInbound(ctx, propose(N20, [write(N20, 0), write(N20, 1)]))
    await kit.store.close()
    const reopened = new MemoryLogStore({ backing: kit.store.backing })
    await reopened.open()
    const restarted = contextFor(
      { ...kit, store: reopened },
      { self: N10, replicaSet: [N10, N20, N30], heartbeatMs: 100 },
    )
    await onInbound(restarted, propose(N20, [write(N20, 1), write(N20, 2)]))
    expect((await reopened.read(CHANNEL, 0 as Seq)).map((e) => e.authorSeq)).toEqual([0, 1, 2])
    expect(restarted.metrics.get('proposeDuplicatesTotal')).toBe(1)
  })

  it('a Propose reaching a peer that does not lead changes nothing and is counted', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await onInbound(ctx, propose(N20, [write(N20, 0)]))
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
    expect(ctx.drops.get('propose-not-leader')).toBe(1)
  })
})

describe('an append away from the leader waits in the outbox', () => {
  async function replica(kit: Kit) {
    await promote(kit.coordinator, 'replica')
    return runtimeFor(kit, { self: N10, replicaSet: [N10, N20, N30], heartbeatMs: 100 })
  }

  it('resolves pending at once, durably, numbered per author, even with no leader', async () => {
    const kit = await makeKit({ tail: 0 })
    const runtime = await replica(kit)
    const outcome = await runtime.append([Uint8Array.of(1), Uint8Array.of(2)])
    expect(outcome).toEqual({ pending: { author: N10, authorSeq: 0 }, count: 2 })
    expect(await runtime.append([Uint8Array.of(3)])).toEqual({
      pending: { author: N10, authorSeq: 2 },
      count: 1,
    })
    expect((await kit.store.outbox(CHANNEL)).map((e) => e.authorSeq)).toEqual([0, 1, 2])
    expect(kit.dispatcher.proposes).toHaveLength(0)
    expect(runtime.metrics().outboxSize).toBe(3)
    await runtime.cancel()
  })

  it('re-forward after leader change: the new leader gets the writes at once', async () => {
    const kit = await makeKit({ tail: 0 })
    const runtime = await replica(kit)
    runtime.tryDispatch({
      kind: 'heartbeat',
      from: N20,
      message: { channelId: CHANNEL, tailSeq: 0 as Seq, role: 'leader', wallClockMs: 0 },
    })
    await settle(kit)
    await runtime.append([Uint8Array.of(1)])
    await settle(kit)
    expect(kit.dispatcher.proposes.map((p) => p.target)).toEqual([N20])
    // N20 never commits it. Within the backoff nothing is re-sent...
    await kit.clock.advanceAsync(30)
    expect(kit.dispatcher.proposes).toHaveLength(1)
    // ...then N20 steps down and N30 leads: N30 gets it without waiting out the backoff.
    for (const [from, role] of [
      [N20, 'replica'],
      [N30, 'leader'],
    ] as const) {
      runtime.tryDispatch({
        kind: 'heartbeat',
        from,
        message: { channelId: CHANNEL, tailSeq: 0 as Seq, role, wallClockMs: 0 },
      })
    }
    await settle(kit)
    expect(runtime.believedLeader).toBe(N30)
    const targets = kit.dispatcher.proposes.map((p) => p.target)
    expect(targets.at(-1)).toBe(N30)
    expect(kit.dispatcher.proposes.at(-1)?.message.entries.map((e) => e.authorSeq)).toEqual([0])
    await runtime.cancel()
  })

  it('retries with backoff while nothing commits, and stays in the outbox', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    ctx.tracker.recordHeartbeat(N20, 'leader', 0 as Seq, kit.clock.now())
    await kit.store.putOutbox(CHANNEL, [write(N10, 0)])
    const sentAt: number[] = []
    for (let t = 0; t < 40; t++) {
      await moveOutbox(ctx)
      if (kit.dispatcher.proposes.length > sentAt.length) sentAt.push(kit.clock.now() - 1_000)
      kit.clock.advance(50)
    }
    const gaps = sentAt.slice(1).map((at, i) => at - (sentAt[i] as number))
    expect(sentAt.length).toBeGreaterThanOrEqual(4)
    expect(gaps[gaps.length - 1]).toBeGreaterThan(gaps[0] as number)
    expect(kit.store.outboxSize(CHANNEL)).toBe(1)
  })

  it('does not re-read the outbox each beat while the log stands still and no forward is due', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await kit.store.putOutbox(CHANNEL, [write(N10, 0), write(N10, 1)])
    let reads = 0
    const read = kit.store.outbox.bind(kit.store)
    kit.store.outbox = (channel) => {
      reads += 1
      return read(channel)
    }
    for (let beat = 0; beat < 10; beat++) {
      await moveOutbox(ctx)
      kit.clock.advance(100)
    }
    expect(reads).toBe(0)
    ctx.tracker.recordHeartbeat(N20, 'leader', 0 as Seq, kit.clock.now())
    await moveOutbox(ctx)
    expect(reads).toBe(1)
    expect(kit.dispatcher.proposes).toHaveLength(1)
    await moveOutbox(ctx)
    expect(reads).toBe(1)
    await kit.store.append(CHANNEL, writerFor(kit, N20).next(1))
    await moveOutbox(ctx)
    expect(reads).toBe(2)
  })

  it('leaves the outbox only once seen committed in the local log, announced with its seq', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    ctx.tracker.recordHeartbeat(N20, 'leader', 0 as Seq, kit.clock.now())
    await kit.store.putOutbox(CHANNEL, [write(N10, 0), write(N10, 1)])
    const committed: string[] = []
    ctx.events.on('writes-committed', (e) =>
      committed.push(...e.detail.writes.map((w) => `${w.authorSeq}@${w.seq}`)),
    )
    await moveOutbox(ctx)
    expect(kit.store.outboxSize(CHANNEL)).toBe(2)
    // The leader's log, replicated here: one of N20's writes, then our first.
    const entries = writerFor(kit, N20).next(1)
    const ours = testLogWriter(kit.hasher, CHANNEL, N10, {
      nextSeq: 1 as Seq,
      lastHash: (entries[0] as Entry).hash,
    }).next(1)
    await kit.store.append(CHANNEL, [...entries, ...ours])
    await moveOutbox(ctx)
    expect(committed).toEqual(['0@1'])
    expect((await kit.store.outbox(CHANNEL)).map((e) => e.authorSeq)).toEqual([1])
    expect(ctx.metrics.get('outboxCommittedTotal')).toBe(1)
  })

  it('the leader drains its own outbox first, so its writes stay in authorSeq order', async () => {
    const kit = await makeKit({ tail: 0 })
    const ctx = await leaderCtx(kit)
    await kit.store.putOutbox(CHANNEL, [write(N10, 0), write(N10, 1)])
    await moveOutbox(ctx)
    expect(await keys(kit)).toEqual(['node-10#0', 'node-10#1'])
    expect(kit.store.outboxSize(CHANNEL)).toBe(0)
    await commitAsLeader(ctx, [write(N10, 2)])
    expect(kit.store.authorMark(CHANNEL, N10)).toBe(2)
  })
})

describe('truncate-and-repropose: divergence repair loses no write', () => {
  it('puts the cut entries back in the outbox before cutting, counts and announces it', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'replica')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20, N30], heartbeatMs: 100 })
    const common = writerFor(kit, N20).next(3)
    await kit.store.append(CHANNEL, common)
    // A demoted leader's suffix: one write of ours and two of N30's.
    const tail = { nextSeq: 3 as Seq, lastHash: (common[2] as Entry).hash }
    const mine = testLogWriter(kit.hasher, CHANNEL, N10, tail).next(1)
    const theirs = testLogWriter(kit.hasher, CHANNEL, N30, {
      nextSeq: 4 as Seq,
      lastHash: (mine[0] as Entry).hash,
    }).next(2)
    await kit.store.append(CHANNEL, [...mine, ...theirs])
    const reproposed: string[] = []
    ctx.events.on('writes-reproposed', (e) =>
      reproposed.push(`${e.detail.fromSeq}-${e.detail.toSeq}:${e.detail.count}`),
    )
    ctx.tracker.recordHeartbeat(N20, 'leader', 3 as Seq, kit.clock.now())
    await cutDivergentTail(ctx, N20, 3 as Seq)
    expect(kit.store.state(CHANNEL).nextSeq).toBeLessThanOrEqual(3)
    expect((await kit.store.outbox(CHANNEL)).map((e) => `${e.author}#${e.authorSeq}`)).toEqual([
      'node-10#0',
      'node-30#0',
      'node-30#1',
    ])
    expect(kit.store.authorMark(CHANNEL, N30)).toBe(-1)
    expect(reproposed.length).toBe(1)
    expect(ctx.metrics.get('divergencesTotal')).toBe(1)
    expect(ctx.metrics.get('reproposedWritesTotal')).toBeGreaterThanOrEqual(3)
    // Next beat they go to the winner, which commits them (or drops the ones it has).
    await moveOutbox(ctx)
    expect(
      kit.dispatcher.proposes[0]?.message.entries.map((e) => `${e.author}#${e.authorSeq}`),
    ).toEqual(['node-10#0', 'node-30#0', 'node-30#1'])
  })
})
