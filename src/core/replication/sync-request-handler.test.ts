import { beforeEach, describe, expect, it } from 'vitest'
import type { Seq } from '../log/ids.js'
import type { BandwidthClass, SyncRequest } from './messages.js'
import { SYNC_CHUNK_MAX_DEFAULT_BYTES, SYNC_CHUNK_MAX_ENTRIES } from './messages.js'
import { CHANNEL, type Kit, makeKit, N10, responseOf, writerFor } from './replication-test-kit.js'
import { estimateResponseBytes, RESPONSE_HEADER_BYTES } from './response-size.js'
import { chunkBudgetBytes, handleSyncRequest } from './sync-request-handler.js'

function request(
  sinceSeq: number,
  chunkMax = 0,
  bandwidthClass: BandwidthClass = 'foreground',
): SyncRequest {
  return { channelId: CHANNEL, sinceSeq: sinceSeq as Seq, chunkMax, requestId: 9n, bandwidthClass }
}

describe('the leader serves a chunk from the requested seq', () => {
  let kit: Kit
  beforeEach(async () => {
    kit = await makeKit({ tail: 0 })
    await kit.store.append(CHANNEL, writerFor(kit, N10).next(10, 100))
  })

  it('sends entries from sinceSeq, at most chunkMax payload bytes but at least one', async () => {
    const outcome = await handleSyncRequest(kit.store, CHANNEL, request(3, 250))
    expect(outcome.kind).toBe('response')
    if (outcome.kind !== 'response') return
    expect(outcome.response.entries.map((e) => e.seq)).toEqual([3, 4])
    expect(outcome.response).toMatchObject({
      firstSeq: 3,
      leaderFirstRetainedSeq: 0,
      requestId: 9n,
    })
    const tiny = await handleSyncRequest(kit.store, CHANNEL, request(3, 1))
    expect(tiny.kind === 'response' && tiny.response.entries.length).toBe(1)
  })

  it('answers an empty chunk at or past its tail', async () => {
    const outcome = await handleSyncRequest(kit.store, CHANNEL, request(10))
    expect(outcome).toMatchObject({ kind: 'response', response: { firstSeq: 10, entries: [] } })
  })

  it('NACKs bad-range with its first retained seq below its floor (R-40)', async () => {
    await kit.store.setRetention(CHANNEL, { maxEntries: 4 })
    await kit.store.sweepRetention(CHANNEL)
    const outcome = await handleSyncRequest(kit.store, CHANNEL, request(2))
    expect(outcome).toMatchObject({ kind: 'nack', reason: 'bad-range', leaderFirstRetainedSeq: 6 })
  })
})

describe('chunk size limits', () => {
  it('uses the default for 0 and never exceeds the entry cap', async () => {
    expect(chunkBudgetBytes(0)).toBe(SYNC_CHUNK_MAX_DEFAULT_BYTES)
    const kit = await makeKit({ tail: 0 })
    await kit.store.append(CHANNEL, writerFor(kit, N10).next(SYNC_CHUNK_MAX_ENTRIES + 5, 1))
    const outcome = await handleSyncRequest(kit.store, CHANNEL, request(0))
    expect(outcome.kind === 'response' && outcome.response.entries.length).toBe(
      SYNC_CHUNK_MAX_ENTRIES,
    )
  })
})

describe('a response costs its header plus each entry', () => {
  it('costs 47 bytes empty, and more per entry and payload byte', async () => {
    const kit = await makeKit({ tail: 0 })
    expect(estimateResponseBytes(responseOf([], 1n, 0))).toBe(RESPONSE_HEADER_BYTES)
    const [small] = writerFor(kit, N10).next(1, 10)
    const [large] = writerFor(kit, N10).next(1, 110)
    if (small === undefined || large === undefined) throw new Error('no entries')
    const one = estimateResponseBytes(responseOf([small], 1n, 0))
    expect(one).toBeGreaterThan(RESPONSE_HEADER_BYTES + 10)
    expect(estimateResponseBytes(responseOf([large], 1n, 0)) - one).toBe(100)
  })
})
