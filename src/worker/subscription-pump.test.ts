import { releaseProxy } from 'comlink'
import { describe, expect, it } from 'vitest'
import { GENESIS_HASH } from '../core/log/entry.js'
import { loadEntryHasher } from '../core/log/entry-hasher.js'
import { type ChannelId, channelId, peerId, type Seq } from '../core/log/ids.js'
import { MemoryLogStore } from '../core/log/memory-log-store.js'
import { testLogWriter } from '../core/log/test-entries.js'
import { ManualClock } from '../core/time/manual-clock.js'
import type { Delivery, PageCallback } from '../rpc/worker-api.js'
import { type PumpEnd, SubscriptionPump } from './subscription-pump.js'

const CH = channelId('pump')

/** A page end that records deliveries and takes each one when told to. */
function pageEnd() {
  const seen: string[] = []
  const waiting: (() => void)[] = []
  let releases = 0
  let autoTake = true
  const deliver = Object.assign(
    (delivery: Delivery): Promise<void> => {
      seen.push(
        delivery.kind === 'reset'
          ? `reset@${delivery.resumeAt}`
          : delivery.entries.map((e) => e.seq).join(','),
      )
      if (autoTake) return Promise.resolve()
      return new Promise<void>((resolve) => waiting.push(resolve))
    },
    { [releaseProxy]: () => void releases++ },
  ) as PageCallback<Delivery>
  return {
    deliver,
    seen,
    get releases() {
      return releases
    },
    hold() {
      autoTake = false
    },
    takeOne() {
      waiting.shift()?.()
    },
    get waiting() {
      return waiting.length
    },
  }
}

async function setup(entries: number) {
  const hasher = await loadEntryHasher()
  const store = new MemoryLogStore({ hasher })
  await store.open()
  const writer = testLogWriter(hasher, CH, peerId('leader'), {
    nextSeq: 0 as Seq,
    lastHash: GENESIS_HASH,
  })
  if (entries > 0) await store.append(CH, writer.next(entries))
  return { store, writer, hasher, clock: new ManualClock() }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

function pump(
  store: MemoryLogStore,
  clock: ManualClock,
  page: ReturnType<typeof pageEnd>,
  from: number,
  ends: PumpEnd[] = [],
) {
  return new SubscriptionPump({
    store,
    channel: CH as ChannelId,
    from: from as Seq,
    deliver: page.deliver,
    clock,
    chunkEntries: 3,
    deliveryTimeoutMs: 1000,
    onEnd: (end) => ends.push(end),
  })
}

describe('a subscription pump', () => {
  it('delivers from its cursor in bounded chunks, in order, and what arrives later', async () => {
    const { store, writer, clock } = await setup(7)
    const page = pageEnd()
    const p = pump(store, clock, page, 2)
    p.poke()
    await settle()
    expect(page.seen).toEqual(['2,3,4', '5,6'])
    await store.append(CH, writer.next(2))
    p.poke()
    await settle()
    expect(page.seen).toEqual(['2,3,4', '5,6', '7,8'])
    expect(p.cursor).toBe(9)
  })

  it('reads nothing more while the page has not taken the last delivery', async () => {
    const { store, clock } = await setup(9)
    const page = pageEnd()
    page.hold()
    const p = pump(store, clock, page, 0)
    p.poke()
    p.poke()
    await settle()
    expect(page.seen).toEqual(['0,1,2'])
    page.takeOne()
    await settle()
    expect(page.seen).toEqual(['0,1,2', '3,4,5'])
  })

  it('tells the page where it resumes when the log skipped past its cursor', async () => {
    const { store, hasher, clock } = await setup(2)
    const page = pageEnd()
    const p = pump(store, clock, page, 2)
    // The leader no longer holds what this replica misses: the log jumps to 10.
    await store.skipTo(CH, 10 as Seq)
    const after = testLogWriter(hasher, CH, peerId('leader'), store.state(CH))
    await store.append(CH, after.next(2))
    p.reset(10 as Seq)
    await settle()
    expect(page.seen).toEqual(['reset@10', '10,11'])
    expect(p.cursor).toBe(12)
  })

  it('redelivers from the cut when a truncation took entries it had delivered', async () => {
    const { store, hasher, clock } = await setup(6)
    const page = pageEnd()
    const p = pump(store, clock, page, 0)
    p.poke()
    await settle()
    expect(page.seen).toEqual(['0,1,2', '3,4,5'])
    // A divergent suffix is cut and another leader's entries take its place.
    await store.truncateAfter(CH, 3)
    const other = testLogWriter(hasher, CH, peerId('new-leader'), store.state(CH))
    await store.append(CH, other.next(4))
    p.reset(4 as Seq)
    await settle()
    expect(page.seen).toEqual(['0,1,2', '3,4,5', 'reset@4', '4,5,6', '7'])
  })

  it('ends, and releases the page’s callback, when a delivery is not taken in time', async () => {
    const { store, clock } = await setup(3)
    const page = pageEnd()
    page.hold()
    const ends: PumpEnd[] = []
    const p = pump(store, clock, page, 0, ends)
    p.poke()
    await settle()
    clock.advance(999)
    expect(ends).toEqual([])
    clock.advance(1)
    expect(ends).toEqual(['timed-out'])
    expect(page.releases).toBe(1)
    p.close()
    expect(page.releases).toBe(1)
  })

  it('close releases the callback once and delivers nothing more', async () => {
    const { store, writer, clock } = await setup(1)
    const page = pageEnd()
    const ends: PumpEnd[] = []
    const p = pump(store, clock, page, 0, ends)
    p.poke()
    await settle()
    p.close()
    p.close()
    await store.append(CH, writer.next(1))
    p.poke()
    await settle()
    expect(page.seen).toEqual(['0'])
    expect(ends).toEqual(['closed'])
    expect(page.releases).toBe(1)
  })
})
