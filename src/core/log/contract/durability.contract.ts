/**
 * The LogStore contract (log-store.contract.ts): what survives — a reopen,
 * appends racing each other, and a full disk (nothing half-written, nothing
 * lost).
 */
import { describe, expect, it } from 'vitest'
import { type Entry, GENESIS_HASH } from '../entry.js'
import { sealEntries } from '../entry-chain.js'
import { peerId, type Seq } from '../ids.js'
import { SeqConflictError, StorageFullError } from '../log-errors.js'
import { testLogWriter } from '../test-entries.js'
import { AUTHOR, CH, type ContractKit, OTHER, summary, tailOf } from './contract-kit.js'

export function durabilityContract(kit: ContractKit): void {
  const { fresh, reopen, writer } = kit
  describe('persistence across close and reopen', () => {
    it('keeps entries, tails, anchors and retention', async () => {
      let store = await fresh()
      const w = writer(store)
      const entries = w.next(30, 12)
      await store.append(CH, entries)
      await store.setRetention(CH, { maxEntries: 20 })
      await store.sweepRetention(CH)
      await store.skipTo(OTHER, 9 as Seq, new Uint8Array(32).fill(9))
      const before = { ch: store.state(CH), other: store.state(OTHER) }
      store = await reopen(store)
      expect(store.state(CH)).toEqual(before.ch)
      expect(store.state(OTHER)).toEqual(before.other)
      expect(summary(await store.read(CH, 10 as Seq))).toEqual(summary(entries.slice(10)))
      await store.append(CH, w.next(1))
      expect(store.state(CH).nextSeq).toBe(31)
    })

    it('close waits for an append already under way, and is idempotent', async () => {
      let store = await fresh()
      const w = writer(store)
      const pending = store.append(CH, w.next(50))
      const late = w.next(1)
      await store.close()
      await store.close()
      await pending
      await expect(store.append(CH, late)).rejects.toMatchObject({ code: 'ERR_CLOSED' })
      store = await reopen(store)
      expect(store.state(CH).nextSeq).toBe(50)
    })
  })

  describe('concurrent appends', () => {
    it('are serialized in call order', async () => {
      const store = await fresh()
      const w = writer(store)
      const batches = Array.from({ length: 60 }, (_, i) => w.next(1 + (i % 3)))
      const states = await Promise.all(batches.map((b) => store.append(CH, b)))
      expect(states.map((s) => s.nextSeq)).toEqual(
        batches.map((b) => (b[b.length - 1] as Entry).seq + 1),
      )
      expect(summary(await store.read(CH, 0 as Seq))).toEqual(summary(batches.flat()))
    })

    it('let exactly one of two writers of the same seqs win', async () => {
      const store = await fresh()
      const a = testLogWriter(kit.hasher, CH, peerId('writer-a'), tailOf(store.state(CH))).next(3)
      const b = testLogWriter(kit.hasher, CH, peerId('writer-b'), tailOf(store.state(CH))).next(3)
      const results = await Promise.allSettled([store.append(CH, a), store.append(CH, b)])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(SeqConflictError)
      expect((await store.read(CH, 0 as Seq)).map((e) => e.author)).toEqual(
        Array(3).fill('writer-a'),
      )
    })

    it('a failing batch in a burst fails alone; later batches that do not depend on it land', async () => {
      const store = await fresh()
      const w = writer(store)
      const good1 = w.next(2)
      const bad = sealEntries(kit.hasher, CH, { nextSeq: 99 as Seq, lastHash: GENESIS_HASH }, [
        { author: AUTHOR, authorSeq: 0, payload: new Uint8Array(1) },
      ])
      const good2 = w.next(2)
      const results = await Promise.allSettled([
        store.append(CH, good1),
        store.append(CH, bad),
        store.append(CH, good2),
      ])
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
      expect(store.state(CH).nextSeq).toBe(4)
    })
  })

  describe('running out of space', () => {
    it('fails with StorageFullError, writes nothing of that batch, loses nothing before it', async () => {
      const store = await fresh()
      const w = writer(store)
      const kept = w.next(100, 64)
      await store.append(CH, kept)
      const restore = await kit.harness.limitSpace(store, 1 << 20)
      let failure: unknown
      let pendingBatch: Entry[] = []
      let held: number
      try {
        for (let i = 0; i < 400 && failure === undefined; i++) {
          const before = store.state(CH)
          pendingBatch = w.next(64, 4096)
          try {
            await store.append(CH, pendingBatch)
          } catch (error) {
            failure = error
            expect(store.state(CH)).toEqual(before)
          }
        }
        expect(failure).toBeInstanceOf(StorageFullError)
        expect((failure as StorageFullError).code).toBe('ERR_STORAGE_FULL')
        held = store.state(CH).nextSeq
        const back = await store.read(CH, 0 as Seq, 100 as Seq)
        expect(summary(back)).toEqual(summary(kept))
        expect(await store.read(CH, 0 as Seq)).toHaveLength(held)
      } finally {
        await restore()
      }
      await store.append(CH, pendingBatch)
      expect(store.state(CH).nextSeq).toBe(held + 64)
    })
  })
}
