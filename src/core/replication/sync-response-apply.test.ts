import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Entry } from '../log/entry.js'
import { channelId, type Seq } from '../log/ids.js'
import { HashMismatchError } from '../log/log-errors.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { testLogWriter } from '../log/test-entries.js'
import { decodeFrame, encodeFrame } from '../wire/frame-codec.js'
import { responseRun } from './packed-response.js'
import { CHANNEL, type Kit, makeKit, N20, responseOf, writerFor } from './replication-test-kit.js'
import { applySyncResponse } from './sync-response-apply.js'

let kit: Kit
let leaderLog: Entry[]

beforeEach(async () => {
  kit = await makeKit({ tail: 0 })
  leaderLog = writerFor(kit, N20).next(10)
})

const apply = (entries: readonly Entry[], firstSeq: number, floor = 0, store = kit.store) =>
  applySyncResponse(store, kit.hasher, CHANNEL, responseOf(entries, 1n, firstSeq, floor))

describe('a chunk is verified before it is appended', () => {
  it('appends a chunk that chains onto the local tail', async () => {
    const result = await apply(leaderLog.slice(0, 4), 0)
    expect(result).toEqual({
      ok: true,
      newTail: 4,
      appliedEntries: 4,
      appliedBytes: 64,
      replacedEntries: 0,
    })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(4)
  })

  it('rejects a forged entry and leaves the log untouched', async () => {
    const forged = leaderLog.slice(0, 3).map((e) => ({ ...e }))
    forged[2] = { ...(forged[2] as Entry), payload: new Uint8Array([1, 2, 3]) }
    const result = await apply(forged, 0)
    expect(result.ok === false && result.error.kind).toBe('invalid-entries')
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
  })

  it('rejects a chunk that does not chain onto our last entry, as divergence at our tail', async () => {
    await kit.store.append(CHANNEL, leaderLog.slice(0, 3))
    const other = testLogWriter(kit.hasher, CHANNEL, N20, {
      nextSeq: 3 as Seq,
      lastHash: new Uint8Array(32).fill(7),
    }).next(2)
    const result = await apply(other, 3)
    expect(result).toEqual({ ok: false, error: { kind: 'diverged', atSeq: 2 } })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(3)
  })

  it('rejects entries of another channel or with holes as malformed', async () => {
    const foreign = testLogWriter(kit.hasher, channelId('elsewhere'), N20, {
      nextSeq: 0 as Seq,
      lastHash: new Uint8Array(32),
    }).next(1)
    expect((await apply(foreign, 0)).ok).toBe(false)
    const holed = [leaderLog[0], leaderLog[2]] as Entry[]
    const result = await apply(holed, 0)
    expect(result.ok === false && result.error.kind).toBe('malformed')
  })
})

describe('a chunk is placed against the local tail', () => {
  it('drops the part we already hold and appends the rest', async () => {
    await kit.store.append(CHANNEL, leaderLog.slice(0, 3))
    const result = await apply(leaderLog.slice(1, 6), 1)
    expect(result).toMatchObject({ ok: true, newTail: 6, appliedEntries: 3 })
  })

  it('calls a chunk we fully hold stale', async () => {
    await kit.store.append(CHANNEL, leaderLog.slice(0, 5))
    const result = await apply(leaderLog.slice(1, 3), 1)
    expect(result.ok === false && result.error.kind).toBe('stale-chunk')
  })

  it('reports a gap, suspecting divergence unless it starts at the leader floor', async () => {
    const trimmed = await apply(leaderLog.slice(6), 6, 6)
    expect(trimmed).toEqual({
      ok: false,
      error: { kind: 'gap-before-chunk', firstSeq: 6, localNext: 0, divergenceSuspected: false },
    })
    const odd = await apply(leaderLog.slice(6), 6, 2)
    expect(
      odd.ok === false && odd.error.kind === 'gap-before-chunk' && odd.error.divergenceSuspected,
    ).toBe(true)
  })

  it('accepts an empty chunk at our tail but not one that starts past it', async () => {
    expect(await apply([], 0)).toEqual({
      ok: true,
      newTail: 0,
      appliedEntries: 0,
      appliedBytes: 0,
      replacedEntries: 0,
    })
    const result = await apply([], 5)
    expect(result.ok === false && result.error.kind).toBe('malformed')
  })
})

// Found by the simulator (seed 1, and every early seed): a dual-leader
// window let two leaders write seqs 12.. differently; the demoted side's
// chunks never chained again and the replicas never converged.
describe('a chunk is placed against our log by hash, not by seq alone', () => {
  /** Our log: the leader's first `common` entries, then `own` entries of another leader. */
  async function forkedAt(common: number, own: number): Promise<Entry[]> {
    await kit.store.append(CHANNEL, leaderLog.slice(0, common))
    const tail = leaderLog[common - 1] as Entry
    const other = testLogWriter(kit.hasher, CHANNEL, N20, {
      nextSeq: common as Seq,
      lastHash: tail.hash,
    }).next(own, 9)
    await kit.store.append(CHANNEL, other)
    return other
  }

  it('replaces the entries after the fork when the chunk overlaps it', async () => {
    await forkedAt(4, 3)
    const result = await apply(leaderLog.slice(2, 9), 2)
    expect(result).toMatchObject({ ok: true, newTail: 9, appliedEntries: 5, replacedEntries: 3 })
    const held = await kit.store.read(CHANNEL, 0 as Seq)
    expect(held.map((e) => e.hash)).toEqual(leaderLog.slice(0, 9).map((e) => e.hash))
  })

  it('reports divergence at the seq below the chunk when the fork is further back', async () => {
    await forkedAt(4, 3)
    const result = await apply(leaderLog.slice(6, 9), 6)
    expect(result).toEqual({ ok: false, error: { kind: 'diverged', atSeq: 5 } })
    expect(kit.store.state(CHANNEL).nextSeq).toBe(7)
  })

  it('calls a chunk stale only when every entry matches ours', async () => {
    await forkedAt(4, 3)
    const same = await apply(leaderLog.slice(1, 4), 1)
    expect(same.ok === false && same.error.kind).toBe('stale-chunk')
    const different = await apply(leaderLog.slice(5, 6), 5)
    expect(different).toEqual({ ok: false, error: { kind: 'diverged', atSeq: 4 } })
  })
})

describe('a full store surfaces as append-failed', () => {
  it('maps StorageFullError to the disk-pressure outcome', async () => {
    const store = new MemoryLogStore({ quotaBytes: 20 })
    await store.open()
    const result = await apply(leaderLog.slice(0, 3), 0, 0, store)
    expect(result.ok === false && result.error.kind).toBe('append-failed')
    expect(store.state(CHANNEL).nextSeq).toBe(0)
  })
})

describe('a chunk off the wire is applied packed (beyond the seed)', () => {
  /** The response as a replica gets it: encoded by the leader, decoded here. */
  const offTheWire = (entries: readonly Entry[], firstSeq: number) => {
    const frame = decodeFrame(
      encodeFrame({ kind: 'sync-response', message: responseOf(entries, 1n, firstSeq, 0) }),
    )
    if (frame.kind !== 'sync-response') throw new Error('not a sync response')
    return frame.message
  }
  const applyOffTheWire = (entries: readonly Entry[], firstSeq: number) =>
    applySyncResponse(kit.store, kit.hasher, CHANNEL, offTheWire(entries, firstSeq))

  it('stores a chunk that joins our tail as it came, without unpacking it', async () => {
    await kit.store.append(CHANNEL, leaderLog.slice(0, 2))
    const response = offTheWire(leaderLog.slice(2, 7), 2)
    expect(responseRun(response)?.count).toBe(5)
    const appendRun = vi.spyOn(kit.store, 'appendRun')
    const result = await applySyncResponse(kit.store, kit.hasher, CHANNEL, response)
    expect(result).toMatchObject({ ok: true, newTail: 7, appliedEntries: 5, appliedBytes: 80 })
    expect(appendRun).toHaveBeenCalledOnce()
    expect(await kit.store.read(CHANNEL, 0 as Seq)).toEqual(leaderLog.slice(0, 7))
  })

  it('refuses a chunk whose bytes were changed on the way, and keeps the log', async () => {
    const bytes = encodeFrame({
      kind: 'sync-response',
      message: responseOf(leaderLog.slice(0, 3), 1n, 0, 0),
    })
    const payload = leaderLog[1]?.payload as Uint8Array
    // The second entry's payload, found by its bytes, gets one bit flipped.
    const at = bytes.findIndex((_, i) => payload.every((b, j) => bytes[i + j] === b))
    bytes[at] = (bytes[at] as number) ^ 1
    const frame = decodeFrame(bytes)
    if (frame.kind !== 'sync-response') throw new Error('not a sync response')
    const result = await applySyncResponse(kit.store, kit.hasher, CHANNEL, frame.message)
    expect(result.ok === false && result.error.kind).toBe('invalid-entries')
    // The wire has no per-entry hash: the entries no longer hash to the last one sent.
    expect(result.ok === false && 'cause' in result.error && result.error.cause).toBeInstanceOf(
      HashMismatchError,
    )
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
  })

  it('refuses a chunk whose claimed last hash is not where its entries lead', async () => {
    const bytes = encodeFrame({
      kind: 'sync-response',
      message: responseOf(leaderLog.slice(0, 3), 1n, 0, 0),
    })
    bytes[bytes.byteLength - 1] = (bytes[bytes.byteLength - 1] as number) ^ 1
    const frame = decodeFrame(bytes)
    if (frame.kind !== 'sync-response') throw new Error('not a sync response')
    const result = await applySyncResponse(kit.store, kit.hasher, CHANNEL, frame.message)
    expect(result.ok === false && result.error.kind).toBe('invalid-entries')
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)
  })

  it('takes the rest of a chunk when another writer stored part of it while we verified', async () => {
    await kit.store.append(CHANNEL, leaderLog.slice(0, 2))
    const response = offTheWire(leaderLog.slice(2, 8), 2)
    // A sync session appends 2..5 between our check of the tail and our append.
    const appendRun = kit.store.appendRun.bind(kit.store)
    kit.store.appendRun = async (channel, run) => {
      await kit.store.append(CHANNEL, leaderLog.slice(2, 5))
      return appendRun(channel, run)
    }
    const result = await applySyncResponse(kit.store, kit.hasher, CHANNEL, response)
    expect(result).toMatchObject({ ok: true, newTail: 8, appliedEntries: 3, replacedEntries: 0 })
    expect(await kit.store.read(CHANNEL, 0 as Seq)).toEqual(leaderLog.slice(0, 8))
  })

  it('places a chunk again, up to three times, while another writer keeps storing at our tail', async () => {
    const longLog = writerFor(kit, N20).next(20)
    await kit.store.append(CHANNEL, longLog.slice(0, 4))
    // Each time we append, the other writer has stored two more first.
    const append = kit.store.append.bind(kit.store)
    let racing = 2
    kit.store.append = async (channel, entries) => {
      if (racing-- > 0) {
        const next = kit.store.state(CHANNEL).nextSeq
        await append(CHANNEL, longLog.slice(next, next + 2))
      }
      return append(channel, entries)
    }
    const result = await applyOffTheWire(longLog.slice(2, 12), 2)
    expect(result).toMatchObject({ ok: true, newTail: 12, appliedEntries: 4 })
    expect(await kit.store.read(CHANNEL, 0 as Seq)).toEqual(longLog.slice(0, 12))
    // A writer that never stops wins: the chunk is dropped after three tries.
    racing = Number.POSITIVE_INFINITY
    const dropped = await applyOffTheWire(longLog.slice(10, 20), 10)
    expect(dropped.ok === false && dropped.error.kind).toBe('append-rejected')
    expect(kit.store.state(CHANNEL).nextSeq).toBe(18)
  })

  it('takes the general path for a chunk that overlaps what we hold', async () => {
    await kit.store.append(CHANNEL, leaderLog.slice(0, 4))
    const appendRun = vi.spyOn(kit.store, 'appendRun')
    const result = await applyOffTheWire(leaderLog.slice(2, 6), 2)
    expect(result).toMatchObject({ ok: true, newTail: 6, appliedEntries: 2 })
    expect(appendRun).not.toHaveBeenCalled()
  })
})
