/**
 * Beyond the seed: a leader parks a caught-up replica's SyncRequest and
 * answers it with the next append, or empty once the hold runs out.
 */
import { describe, expect, it } from 'vitest'
import type { PeerId } from '../log/ids.js'
import { onInbound } from './on-inbound.js'
import { onPeersUnreachable } from './on-peers-unreachable.js'
import { expireParked, serveParked } from './on-sync-request.js'
import {
  CHANNEL,
  contextFor,
  makeKit,
  N10,
  N20,
  N30,
  promote,
  runtimeFor,
  settle,
  syncRequestFrom,
  writerFor,
} from './replication-test-kit.js'

const HOLD_MS = 40

function request(sinceSeq: number, requestId: bigint, from: PeerId = N20) {
  return syncRequestFrom(from, sinceSeq, { requestId, chunkMax: 1 << 20 })
}

/** A leader N10 holding `entries` entries, parking for HOLD_MS. */
async function leader(entries = 2) {
  const kit = await makeKit({ tail: 0 })
  await promote(kit.coordinator, 'leader')
  const writer = writerFor(kit, N10)
  if (entries > 0) await kit.store.append(CHANNEL, writer.next(entries))
  const ctx = contextFor(kit, {
    self: N10,
    replicaSet: [N10, N20, N30],
    heartbeatMs: 100,
    parkHoldMs: HOLD_MS,
  })
  return { kit, ctx, writer }
}

describe('a leader holds a caught-up replica’s request until it has more', () => {
  it('parks a request from its tail and answers it with the next entries', async () => {
    const { kit, ctx, writer } = await leader(2)
    await onInbound(ctx, request(2, 7n))
    expect(kit.dispatcher.syncResponses).toHaveLength(0)
    expect(ctx.parked.size).toBe(1)
    await kit.store.append(CHANNEL, writer.next(1))
    await serveParked(ctx)
    expect(kit.dispatcher.syncResponses).toHaveLength(1)
    const [sent] = kit.dispatcher.syncResponses
    expect(sent?.target).toBe(N20)
    expect(sent?.message).toMatchObject({ requestId: 7n, firstSeq: 2 })
    expect(sent?.message.entries.map((e) => e.seq)).toEqual([2])
    expect(ctx.parked.size).toBe(0)
    expect(ctx.metrics.get('requestsParkedTotal')).toBe(1)
    expect(ctx.metrics.get('parkedServedByAppendTotal')).toBe(1)
  })

  it('serves a request from below its tail at once', async () => {
    const { kit, ctx } = await leader(2)
    await onInbound(ctx, request(0, 7n))
    expect(kit.dispatcher.syncResponses.map((r) => r.message.entries.length)).toEqual([2])
    expect(ctx.parked.size).toBe(0)
  })

  it('answers empty once the hold runs out, and not before', async () => {
    const { kit, ctx } = await leader(2)
    await onInbound(ctx, request(2, 7n))
    kit.clock.advance(HOLD_MS - 1)
    await expireParked(ctx)
    expect(kit.dispatcher.syncResponses).toHaveLength(0)
    kit.clock.advance(1)
    await expireParked(ctx)
    expect(
      kit.dispatcher.syncResponses.map((r) => [r.message.requestId, r.message.entries.length]),
    ).toEqual([[7n, 0]])
  })

  it('answers the parked request at once when the same replica asks again', async () => {
    const { kit, ctx } = await leader(2)
    await onInbound(ctx, request(2, 7n))
    await onInbound(ctx, request(2, 8n))
    expect(kit.dispatcher.syncResponses.map((r) => r.message.requestId)).toEqual([7n])
    expect(ctx.parked.size).toBe(1)
  })

  it('refuses what it parked with not-leader once it no longer leads', async () => {
    const { kit, ctx } = await leader(2)
    await onInbound(ctx, request(2, 7n))
    await kit.coordinator.transitionTo('replica', 'peer-leader-observed')
    await expireParked(ctx)
    expect(kit.dispatcher.syncNacks.map((n) => [n.message.requestId, n.message.reason])).toEqual([
      [7n, 'not-leader'],
    ])
    expect(ctx.parked.size).toBe(0)
  })

  it('forgets the request of a peer whose link closed', async () => {
    const { ctx } = await leader(2)
    await onInbound(ctx, request(2, 7n))
    await onInbound(ctx, request(2, 9n, N30))
    await onPeersUnreachable(ctx, [N20])
    expect(ctx.parked.size).toBe(1)
  })

  it('answers at once when parking is off (the seed)', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, { self: N10, replicaSet: [N10, N20], heartbeatMs: 100 })
    await onInbound(ctx, request(0, 7n))
    expect(kit.dispatcher.syncResponses.map((r) => r.message.entries.length)).toEqual([0])
  })
})

describe('a running leader serves parked requests right after an append', () => {
  it('ships a local append to the caught-up replica before its tail notice', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const runtime = runtimeFor(kit, {
      self: N10,
      replicaSet: [N10, N20],
      heartbeatMs: 100,
      parkHoldMs: HOLD_MS,
    })
    await runtime.dispatch(request(0, 7n))
    await settle(kit)
    expect(kit.dispatcher.syncResponses).toHaveLength(0)
    await runtime.append([Uint8Array.of(1), Uint8Array.of(2)])
    await settle(kit)
    expect(
      kit.dispatcher.syncResponses.map((r) => [r.message.requestId, r.message.entries.length]),
    ).toEqual([[7n, 2]])
    await runtime.cancel()
  })

  it('sends no tail notice to the replica the append answered, and one to the others', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const runtime = runtimeFor(kit, {
      self: N10,
      replicaSet: [N10, N20, N30],
      heartbeatMs: 100,
      parkHoldMs: HOLD_MS,
    })
    await runtime.dispatch(request(0, 7n))
    await settle(kit)
    kit.dispatcher.heartbeats.splice(0)
    await runtime.append([Uint8Array.of(1)])
    await settle(kit)
    expect(kit.dispatcher.syncResponses.map((r) => r.target)).toEqual([N20])
    expect(kit.dispatcher.heartbeats.map((h) => [h.target, h.message.tailSeq])).toEqual([[N30, 1]])
    expect(kit.coordinator.metrics.get('tailNoticesSkippedTotal')).toBe(1)
    await runtime.cancel()
  })
})
