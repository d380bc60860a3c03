/**
 * The LogStore contract (log-store.contract.ts): cutting a log — skipping
 * ahead, truncating a suffix, sweeping by retention, deleting a channel.
 */
import { describe, expect, it } from 'vitest'
import { type Entry, GENESIS_HASH } from '../entry.js'
import { peerId, type Seq } from '../ids.js'
import { ChainBrokenError, RangeEvictedError, SeqConflictError } from '../log-errors.js'
import { testLogWriter } from '../test-entries.js'
import { AUTHOR, CH, type ContractKit, OTHER, tailOf } from './contract-kit.js'

export function cutsContract(kit: ContractKit): void {
  const { fresh, reopen, writer } = kit
  describe('skipTo', () => {
    it('jumps the tail forward, dropping retained entries, anchored on a given hash', async () => {
      const store = await fresh()
      const w = writer(store)
      await store.append(CH, w.next(5, 10))
      const anchor = new Uint8Array(32).fill(7)
      const state = await store.skipTo(CH, 50 as Seq, anchor)
      expect(state).toMatchObject({ firstSeq: 50, nextSeq: 50, payloadBytes: 0, anchored: true })
      await expect(store.read(CH, 0 as Seq)).rejects.toBeInstanceOf(RangeEvictedError)
      const next = testLogWriter(kit.hasher, CH, AUTHOR, { nextSeq: 50 as Seq, lastHash: anchor })
      await store.append(CH, next.next(2))
      expect((await store.read(CH, 50 as Seq)).map((e) => e.seq)).toEqual([50, 51])
    })

    it('without an anchor, accepts whatever prevHash the next entry carries', async () => {
      const store = await fresh()
      await store.skipTo(CH, 10 as Seq)
      expect(store.state(CH).anchored).toBe(false)
      const next = testLogWriter(kit.hasher, CH, AUTHOR, {
        nextSeq: 10 as Seq,
        lastHash: new Uint8Array(32).fill(3),
      })
      await store.append(CH, next.next(1))
      expect(store.state(CH)).toMatchObject({ anchored: true, nextSeq: 11 })
      const wrong = testLogWriter(kit.hasher, CH, AUTHOR, {
        nextSeq: 11 as Seq,
        lastHash: new Uint8Array(32),
      })
      await expect(store.append(CH, wrong.next(1))).rejects.toBeInstanceOf(ChainBrokenError)
    })

    it('never moves the tail back', async () => {
      const store = await fresh()
      await store.append(CH, writer(store).next(5))
      await expect(store.skipTo(CH, 3 as Seq)).rejects.toBeInstanceOf(SeqConflictError)
      expect(store.state(CH).nextSeq).toBe(5)
    })
  })

  describe('truncateAfter', () => {
    it('cuts the suffix, and the next append chains onto the last kept entry', async () => {
      const store = await fresh()
      const w = writer(store)
      const entries = w.next(10, 4)
      await store.append(CH, entries)
      const state = await store.truncateAfter(CH, 5)
      expect(state).toMatchObject({ firstSeq: 0, nextSeq: 6, payloadBytes: 24 })
      expect(Array.from(state.lastHash)).toEqual(Array.from((entries[5] as Entry).hash))
      expect(await store.read(CH, 0 as Seq)).toHaveLength(6)
      const again = testLogWriter(kit.hasher, CH, peerId('author-b'), tailOf(state))
      await store.append(CH, again.next(3))
      expect((await store.read(CH, 0 as Seq)).map((e) => e.author)).toEqual([
        ...Array(6).fill(AUTHOR),
        ...Array(3).fill('author-b'),
      ])
    })

    it('cuts everything retained at firstSeq - 1 and keeps the chain anchor', async () => {
      const store = await fresh()
      const entries = writer(store).next(4)
      await store.append(CH, entries)
      const state = await store.truncateAfter(CH, -1)
      expect(state).toMatchObject({ firstSeq: 0, nextSeq: 0, payloadBytes: 0 })
      expect(Array.from(state.lastHash)).toEqual(Array.from(GENESIS_HASH))
    })

    it('is a no-op at or past the tail and refuses to cut into evicted seqs', async () => {
      const store = await fresh()
      await store.append(CH, writer(store).next(10))
      expect((await store.truncateAfter(CH, 9)).nextSeq).toBe(10)
      expect((await store.truncateAfter(CH, 100)).nextSeq).toBe(10)
      await store.setRetention(CH, { maxEntries: 4 })
      await store.sweepRetention(CH)
      await expect(store.truncateAfter(CH, 2)).rejects.toBeInstanceOf(RangeEvictedError)
      await expect(store.truncateAfter(CH, 1.5)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      })
      expect((await store.truncateAfter(CH, 5)).nextSeq).toBe(6)
    })
  })

  describe('retention', () => {
    it('evicts the oldest entries down to maxEntries', async () => {
      const store = await fresh()
      const w = writer(store)
      for (let i = 0; i < 4; i++) await store.append(CH, w.next(5, 10))
      await store.setRetention(CH, { maxEntries: 7 })
      expect(store.state(CH).firstSeq).toBe(0)
      expect(await store.sweepRetention(CH)).toEqual({ evictedEntries: 13, evictedBytes: 130 })
      expect(store.state(CH)).toMatchObject({ firstSeq: 13, nextSeq: 20, payloadBytes: 70 })
      expect((await store.read(CH, 13 as Seq)).map((e) => e.seq)).toEqual([
        13, 14, 15, 16, 17, 18, 19,
      ])
      await expect(store.read(CH, 12 as Seq)).rejects.toBeInstanceOf(RangeEvictedError)
      expect(await store.sweepRetention(CH)).toEqual({ evictedEntries: 0, evictedBytes: 0 })
    })

    it('evicts the oldest entries down to maxBytes', async () => {
      const store = await fresh()
      const w = writer(store)
      await store.append(CH, w.next(3, 100))
      await store.append(CH, w.next(3, 10))
      await store.setRetention(CH, { maxBytes: 150 })
      expect(await store.sweepRetention(CH)).toEqual({ evictedEntries: 2, evictedBytes: 200 })
      expect(store.state(CH)).toMatchObject({ firstSeq: 2, payloadBytes: 130 })
    })

    it('rejects a malformed policy', async () => {
      const store = await fresh()
      await expect(store.setRetention(CH, { maxEntries: -1 })).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      })
    })
  })

  describe('deleteChannel', () => {
    it('forgets the channel and its entries', async () => {
      let store = await fresh()
      await store.append(CH, writer(store).next(3))
      await store.append(OTHER, writer(store, OTHER).next(3))
      await store.deleteChannel(CH)
      expect(store.channels()).toEqual([OTHER])
      expect(store.state(CH).nextSeq).toBe(0)
      store = await reopen(store)
      expect(store.channels()).toEqual([OTHER])
      expect(await store.read(OTHER, 0 as Seq)).toHaveLength(3)
    })
  })
}
