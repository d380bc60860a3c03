/**
 * The LogStore contract (log-store.contract.ts): writing and reading
 * entries — round trips, packed runs, signed entries, atomic batches,
 * refused gaps and duplicates, and damage found on read.
 */
import { describe, expect, it } from 'vitest'
import { type Entry, GENESIS_HASH } from '../entry.js'
import { sealEntries } from '../entry-chain.js'
import { peerId, type Seq } from '../ids.js'
import { ChainBrokenError, CorruptLogError, SeqConflictError, SeqGapError } from '../log-errors.js'
import { packEntries } from '../run-pack.js'
import {
  AUTHOR,
  CH,
  type ContractKit,
  OTHER,
  outboxSummary,
  pending,
  summary,
  tailOf,
} from './contract-kit.js'

export function entriesContract(kit: ContractKit): void {
  const { fresh, reopen, writer, authored } = kit
  describe('signed entries', () => {
    it("keeps each entry's signature and group proof, through a restart", async () => {
      let store = await fresh()
      const drafts = [1, 2, 3].map((authorSeq) =>
        pending(AUTHOR, authorSeq, authorSeq > 1 ? 'in-group' : true),
      )
      const entries = sealEntries(kit.hasher, CH, tailOf(store.state(CH)), drafts)
      await store.append(CH, entries)
      store = await reopen(store)
      for (const read of [
        await store.read(CH, 0 as Seq),
        (await store.readRun(CH, 0 as Seq)).entries(),
      ]) {
        expect(outboxSummary(read)).toEqual(outboxSummary(drafts))
      }
    })
  })

  describe('packed runs (readRun, appendRun)', () => {
    it('readRun holds the same entries read returns, within the same bounds', async () => {
      const store = await fresh()
      const w = writer(store)
      for (let i = 0; i < 5; i++) await store.append(CH, w.next(20, 10))
      for (const [from, to, options] of [
        [0, undefined, {}],
        [17, 63, {}],
        [95, 1000, {}],
        [10, undefined, { maxEntries: 7 }],
        [10, undefined, { maxBytes: 35 }],
        [10, undefined, { maxBytes: 1 }],
      ] as const) {
        const run = await store.readRun(CH, from as Seq, to as Seq | undefined, options)
        const entries = await store.read(CH, from as Seq, to as Seq | undefined, options)
        expect(summary(run.entries())).toEqual(summary(entries))
        expect(run.firstSeq).toBe(from)
        expect(run.count).toBe(entries.length)
      }
      const empty = await store.readRun(CH, 100 as Seq)
      expect([empty.count, empty.firstSeq]).toEqual([0, 100])
    })

    it('appendRun appends a run as append appends its entries, author marks and all', async () => {
      let store = await fresh()
      const first = authored(store, [
        [AUTHOR, 0],
        [peerId('author-b'), 3],
      ])
      const state = await store.appendRun(CH, packEntries(CH, first))
      expect(state.nextSeq).toBe(2)
      expect(Array.from(state.lastHash)).toEqual(Array.from((first[1] as Entry).hash))
      const more = writer(store).next(30, 5)
      await store.appendRun(CH, packEntries(CH, more))
      store = await reopen(store)
      expect(summary(await store.read(CH, 0 as Seq))).toEqual(summary([...first, ...more]))
      expect(store.authorMark(CH, peerId('author-b'))).toBe(3)
      expect(store.state(CH).payloadBytes).toBe(2 * 2 + 30 * 5)
    })

    it('appendRun refuses a run that does not start at the tail or chain onto it', async () => {
      const store = await fresh()
      const w = writer(store)
      await store.append(CH, w.next(4))
      const next = w.next(3)
      const ahead = packEntries(CH, next.slice(1))
      await expect(store.appendRun(CH, ahead)).rejects.toBeInstanceOf(SeqGapError)
      const again = await store.readRun(CH, 2 as Seq)
      await expect(store.appendRun(CH, again)).rejects.toBeInstanceOf(SeqConflictError)
      const foreign = writer(store).next(1)
      const unchained = authored(store, [[AUTHOR, 9]]).map((e) => ({
        ...e,
        prevHash: (foreign[0] as Entry).hash,
      }))
      await expect(store.appendRun(CH, packEntries(CH, unchained))).rejects.toBeInstanceOf(
        ChainBrokenError,
      )
      expect(store.state(CH).nextSeq).toBe(4)
      await store.appendRun(CH, packEntries(CH, next))
      expect(store.state(CH).nextSeq).toBe(7)
    })
  })

  describe('round trip', () => {
    it('an unknown channel reads as empty at seq 0 with the genesis hash', async () => {
      const store = await fresh()
      const state = store.state(CH)
      expect(state.firstSeq).toBe(0)
      expect(state.nextSeq).toBe(0)
      expect(Array.from(state.lastHash)).toEqual(Array.from(GENESIS_HASH))
      expect(store.channels()).toEqual([])
      expect(await store.read(CH, 0 as Seq)).toEqual([])
    })

    it('returns exactly the entries appended, in order, with their hashes', async () => {
      const store = await fresh()
      const w = writer(store)
      const first = w.next(10, 100)
      const second = w.next(5, 3)
      await store.append(CH, first)
      const state = await store.append(CH, second)
      expect(state.firstSeq).toBe(0)
      expect(state.nextSeq).toBe(15)
      expect(state.payloadBytes).toBe(10 * 100 + 5 * 3)
      expect(Array.from(state.lastHash)).toEqual(Array.from((second[4] as Entry).hash))
      expect(store.channels()).toEqual([CH])
      const back = await store.read(CH, 0 as Seq)
      expect(summary(back)).toEqual(summary([...first, ...second]))
      expect(back.every((e) => e.channel === CH)).toBe(true)
    })

    it('keeps channels apart', async () => {
      const store = await fresh()
      await store.append(CH, writer(store, CH).next(3))
      await store.append(OTHER, writer(store, OTHER).next(7))
      expect(store.state(CH).nextSeq).toBe(3)
      expect(store.state(OTHER).nextSeq).toBe(7)
      expect((await store.read(OTHER, 0 as Seq)).map((e) => e.channel)).toEqual(
        Array(7).fill(OTHER),
      )
      expect([...store.channels()].sort()).toEqual([CH, OTHER].sort())
    })

    it('reads sub-ranges, clamps past the tail, and honours maxEntries and maxBytes', async () => {
      const store = await fresh()
      const w = writer(store)
      for (let i = 0; i < 5; i++) await store.append(CH, w.next(20, 10))
      const all = await store.read(CH, 0 as Seq)
      expect(all).toHaveLength(100)
      expect(summary(await store.read(CH, 17 as Seq, 63 as Seq))).toEqual(
        summary(all.slice(17, 63)),
      )
      expect(await store.read(CH, 95 as Seq, 1000 as Seq)).toHaveLength(5)
      expect(await store.read(CH, 100 as Seq)).toEqual([])
      expect(await store.read(CH, 30 as Seq, 20 as Seq)).toEqual([])
      expect(
        (await store.read(CH, 10 as Seq, undefined, { maxEntries: 7 })).map((e) => e.seq),
      ).toEqual([10, 11, 12, 13, 14, 15, 16])
      expect(await store.read(CH, 10 as Seq, undefined, { maxBytes: 35 })).toHaveLength(3)
      expect(await store.read(CH, 10 as Seq, undefined, { maxBytes: 1 })).toHaveLength(1)
    })

    it('returns copies: mutating a read payload does not change the log', async () => {
      const store = await fresh()
      await store.append(CH, writer(store).next(1, 8))
      const [entry] = await store.read(CH, 0 as Seq)
      entry?.payload.fill(0xff)
      const [again] = await store.read(CH, 0 as Seq)
      expect(Array.from(again?.payload ?? [])).not.toEqual(Array(8).fill(0xff))
    })

    it('reads a long log written in many batches as one dense range', async () => {
      const store = await fresh()
      const w = writer(store)
      const written: Entry[] = []
      for (let i = 0; i < 40; i++) {
        const batch = w.next(1 + (i % 7) * 20, 24)
        written.push(...batch)
        await store.append(CH, batch)
      }
      const back = await store.read(CH, 0 as Seq)
      expect(back.map((e) => e.seq)).toEqual(written.map((e) => e.seq))
      expect(summary(back)).toEqual(summary(written))
    })
  })

  describe('atomic batches', () => {
    it('a batch with one broken link writes nothing', async () => {
      const store = await fresh()
      const w = writer(store)
      await store.append(CH, w.next(3))
      const batch = w.next(10)
      const broken = batch.map((e, i) =>
        i === 6 ? { ...e, prevHash: new Uint8Array(32).fill(1) } : e,
      )
      await expect(store.append(CH, broken)).rejects.toBeInstanceOf(ChainBrokenError)
      expect(store.state(CH).nextSeq).toBe(3)
      expect(await store.read(CH, 0 as Seq)).toHaveLength(3)
      await store.append(CH, batch)
      expect(store.state(CH).nextSeq).toBe(13)
    })

    it('rejects an entry for another channel inside a batch, writing nothing', async () => {
      const store = await fresh()
      const batch = writer(store).next(4)
      const mixed = batch.map((e, i) => (i === 2 ? { ...e, channel: OTHER } : e))
      await expect(store.append(CH, mixed)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      })
      expect(store.state(CH).nextSeq).toBe(0)
      await expect(store.append(CH, [])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' })
    })
  })

  describe('gaps and duplicates', () => {
    it('rejects a batch that starts past the tail with SeqGapError', async () => {
      const store = await fresh()
      const w = writer(store)
      await store.append(CH, w.next(2))
      w.next(1)
      const error = await store.append(CH, w.next(1)).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(SeqGapError)
      expect(error).toMatchObject({ code: 'ERR_SEQ_GAP', details: { expected: 2, seq: 3 } })
    })

    it('rejects a batch that rewrites held seqs with SeqConflictError', async () => {
      const store = await fresh()
      const w = writer(store)
      const batch = w.next(3)
      await store.append(CH, batch)
      await expect(store.append(CH, batch)).rejects.toBeInstanceOf(SeqConflictError)
      const dup = [...w.next(2)]
      await expect(store.append(CH, [dup[0] as Entry, dup[0] as Entry])).rejects.toBeInstanceOf(
        SeqConflictError,
      )
      expect(store.state(CH).nextSeq).toBe(3)
    })
  })

  describe('verification on read', () => {
    it('detects damaged stored bytes with CorruptLogError', async () => {
      let store = await fresh()
      await store.append(CH, writer(store).next(20, 30))
      await kit.harness.corrupt(store, CH, 7 as Seq)
      store = await reopen(store)
      await expect(store.read(CH, 0 as Seq)).rejects.toBeInstanceOf(CorruptLogError)
    })
  })
}
