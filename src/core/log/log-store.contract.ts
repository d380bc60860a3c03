/**
 * The LogStore contract: one suite every implementation passes, run against
 * MemoryLogStore in Node and IdbLogStore in Chromium and Firefox. A harness
 * supplies the store-specific parts (how to reopen, how to damage stored
 * bytes, how to run out of space).
 */
import fc from 'fast-check'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { NO_MARK } from './author-marks.js'
import type { Entry } from './entry.js'
import { GENESIS_HASH } from './entry.js'
import { sealEntries } from './entry-chain.js'
import { type EntryHasher, loadEntryHasher } from './entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId, type Seq } from './ids.js'
import {
  ChainBrokenError,
  CorruptLogError,
  OutboxFullError,
  RangeEvictedError,
  SeqConflictError,
  SeqGapError,
  StorageFullError,
} from './log-errors.js'
import type { ChannelState, LogStore, OutboxEntry } from './log-store.js'
import { packEntries } from './run-pack.js'
import { testLogWriter } from './test-entries.js'

export interface LogStoreHarness {
  /** Label shown in test names, e.g. "IndexedDB (chromium)". */
  readonly name: string
  /** A fresh, empty, open store (with a small outbox when asked). */
  create(options?: { readonly outboxCapacity?: number }): Promise<LogStore>
  /** Closes `store` and opens a new store over the same data. */
  reopen(store: LogStore): Promise<LogStore>
  /** Damages the stored payload bytes of one entry, behind the store's back. */
  corrupt(store: LogStore, channel: ChannelId, seq: Seq): Promise<void>
  /**
   * Leaves about `freeBytes` of room for `store`; returns a function that
   * gives the room back. Stores whose limit is fixed by their environment may
   * ignore `freeBytes`.
   */
  limitSpace(store: LogStore, freeBytes: number): Promise<() => Promise<void>>
  /** Closes the store and deletes its data. */
  destroy(store: LogStore): Promise<void>
  /** Property-test runs; browsers get fewer. */
  readonly propertyRuns?: number
}

const CH = channelId('contract-channel')
const OTHER = channelId('contract-other')
const AUTHOR: PeerId = peerId('author-a')

function summary(entries: readonly Entry[]) {
  return entries.map((e) => ({
    seq: e.seq,
    author: e.author,
    authorSeq: e.authorSeq,
    payload: Array.from(e.payload),
    hash: Array.from(e.hash),
    prevHash: Array.from(e.prevHash),
  }))
}

function tailOf(state: ChannelState) {
  return { nextSeq: state.nextSeq, lastHash: state.lastHash }
}

export function defineLogStoreContract(harness: LogStoreHarness): void {
  describe(`LogStore contract: ${harness.name}`, () => {
    let hasher: EntryHasher
    let store: LogStore
    const live = new Set<LogStore>()

    async function fresh(options?: { readonly outboxCapacity?: number }): Promise<LogStore> {
      const s = await harness.create(options)
      live.add(s)
      return s
    }
    async function reopen(s: LogStore): Promise<LogStore> {
      live.delete(s)
      const next = await harness.reopen(s)
      live.add(next)
      return next
    }
    function writer(s: LogStore, channel = CH) {
      return testLogWriter(hasher, channel, AUTHOR, tailOf(s.state(channel)))
    }
    /** Entries of several authors sealed onto the channel's tail. */
    function authored(s: LogStore, writes: readonly [PeerId, number][], channel = CH): Entry[] {
      return sealEntries(
        hasher,
        channel,
        tailOf(s.state(channel)),
        writes.map(([author, authorSeq]) => ({
          author,
          authorSeq,
          payload: new Uint8Array([authorSeq, author.length]),
        })),
      )
    }
    function pending(
      author: PeerId,
      authorSeq: number,
      signed: boolean | 'in-group' = false,
    ): OutboxEntry {
      const draft = { author, authorSeq, payload: new Uint8Array([authorSeq, 7, 7]) }
      if (signed === false) return draft
      const signature = new Uint8Array(64).fill(authorSeq)
      if (signed === true) return { ...draft, signature }
      return { ...draft, signature, groupProof: new Uint8Array(2 + 32).fill(authorSeq + 1) }
    }
    function outboxSummary(entries: readonly OutboxEntry[]) {
      return entries.map((e) => ({
        author: e.author,
        authorSeq: e.authorSeq,
        payload: Array.from(e.payload),
        signature: e.signature === undefined ? undefined : Array.from(e.signature),
        groupProof: e.groupProof === undefined ? undefined : Array.from(e.groupProof),
      }))
    }

    beforeAll(async () => {
      hasher = await loadEntryHasher()
    })
    afterEach(async () => {
      for (const s of live) await harness.destroy(s)
      live.clear()
    })

    describe('signed entries', () => {
      it("keeps each entry's signature and group proof, through a restart", async () => {
        store = await fresh()
        const drafts = [1, 2, 3].map((authorSeq) =>
          pending(AUTHOR, authorSeq, authorSeq > 1 ? 'in-group' : true),
        )
        const entries = sealEntries(hasher, CH, tailOf(store.state(CH)), drafts)
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
        store = await fresh()
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
        store = await fresh()
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
        store = await fresh()
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
        store = await fresh()
        const state = store.state(CH)
        expect(state.firstSeq).toBe(0)
        expect(state.nextSeq).toBe(0)
        expect(Array.from(state.lastHash)).toEqual(Array.from(GENESIS_HASH))
        expect(store.channels()).toEqual([])
        expect(await store.read(CH, 0 as Seq)).toEqual([])
      })

      it('returns exactly the entries appended, in order, with their hashes', async () => {
        store = await fresh()
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
        store = await fresh()
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
        store = await fresh()
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
        store = await fresh()
        await store.append(CH, writer(store).next(1, 8))
        const [entry] = await store.read(CH, 0 as Seq)
        entry?.payload.fill(0xff)
        const [again] = await store.read(CH, 0 as Seq)
        expect(Array.from(again?.payload ?? [])).not.toEqual(Array(8).fill(0xff))
      })

      it('reads a long log written in many batches as one dense range', async () => {
        store = await fresh()
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
        store = await fresh()
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
        store = await fresh()
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
        store = await fresh()
        const w = writer(store)
        await store.append(CH, w.next(2))
        w.next(1)
        const error = await store.append(CH, w.next(1)).catch((e: unknown) => e)
        expect(error).toBeInstanceOf(SeqGapError)
        expect(error).toMatchObject({ code: 'ERR_SEQ_GAP', details: { expected: 2, seq: 3 } })
      })

      it('rejects a batch that rewrites held seqs with SeqConflictError', async () => {
        store = await fresh()
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

    describe('skipTo', () => {
      it('jumps the tail forward, dropping retained entries, anchored on a given hash', async () => {
        store = await fresh()
        const w = writer(store)
        await store.append(CH, w.next(5, 10))
        const anchor = new Uint8Array(32).fill(7)
        const state = await store.skipTo(CH, 50 as Seq, anchor)
        expect(state).toMatchObject({ firstSeq: 50, nextSeq: 50, payloadBytes: 0, anchored: true })
        await expect(store.read(CH, 0 as Seq)).rejects.toBeInstanceOf(RangeEvictedError)
        const next = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 50 as Seq, lastHash: anchor })
        await store.append(CH, next.next(2))
        expect((await store.read(CH, 50 as Seq)).map((e) => e.seq)).toEqual([50, 51])
      })

      it('without an anchor, accepts whatever prevHash the next entry carries', async () => {
        store = await fresh()
        await store.skipTo(CH, 10 as Seq)
        expect(store.state(CH).anchored).toBe(false)
        const next = testLogWriter(hasher, CH, AUTHOR, {
          nextSeq: 10 as Seq,
          lastHash: new Uint8Array(32).fill(3),
        })
        await store.append(CH, next.next(1))
        expect(store.state(CH)).toMatchObject({ anchored: true, nextSeq: 11 })
        const wrong = testLogWriter(hasher, CH, AUTHOR, {
          nextSeq: 11 as Seq,
          lastHash: new Uint8Array(32),
        })
        await expect(store.append(CH, wrong.next(1))).rejects.toBeInstanceOf(ChainBrokenError)
      })

      it('never moves the tail back', async () => {
        store = await fresh()
        await store.append(CH, writer(store).next(5))
        await expect(store.skipTo(CH, 3 as Seq)).rejects.toBeInstanceOf(SeqConflictError)
        expect(store.state(CH).nextSeq).toBe(5)
      })
    })

    describe('truncateAfter', () => {
      it('cuts the suffix, and the next append chains onto the last kept entry', async () => {
        store = await fresh()
        const w = writer(store)
        const entries = w.next(10, 4)
        await store.append(CH, entries)
        const state = await store.truncateAfter(CH, 5)
        expect(state).toMatchObject({ firstSeq: 0, nextSeq: 6, payloadBytes: 24 })
        expect(Array.from(state.lastHash)).toEqual(Array.from((entries[5] as Entry).hash))
        expect(await store.read(CH, 0 as Seq)).toHaveLength(6)
        const again = testLogWriter(hasher, CH, peerId('author-b'), tailOf(state))
        await store.append(CH, again.next(3))
        expect((await store.read(CH, 0 as Seq)).map((e) => e.author)).toEqual([
          ...Array(6).fill(AUTHOR),
          ...Array(3).fill('author-b'),
        ])
      })

      it('cuts everything retained at firstSeq - 1 and keeps the chain anchor', async () => {
        store = await fresh()
        const entries = writer(store).next(4)
        await store.append(CH, entries)
        const state = await store.truncateAfter(CH, -1)
        expect(state).toMatchObject({ firstSeq: 0, nextSeq: 0, payloadBytes: 0 })
        expect(Array.from(state.lastHash)).toEqual(Array.from(GENESIS_HASH))
      })

      it('is a no-op at or past the tail and refuses to cut into evicted seqs', async () => {
        store = await fresh()
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
        store = await fresh()
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
        store = await fresh()
        const w = writer(store)
        await store.append(CH, w.next(3, 100))
        await store.append(CH, w.next(3, 10))
        await store.setRetention(CH, { maxBytes: 150 })
        expect(await store.sweepRetention(CH)).toEqual({ evictedEntries: 2, evictedBytes: 200 })
        expect(store.state(CH)).toMatchObject({ firstSeq: 2, payloadBytes: 130 })
      })

      it('rejects a malformed policy', async () => {
        store = await fresh()
        await expect(store.setRetention(CH, { maxEntries: -1 })).rejects.toMatchObject({
          code: 'ERR_INVALID_ARGUMENT',
        })
      })
    })

    describe('persistence across close and reopen', () => {
      it('keeps entries, tails, anchors and retention', async () => {
        store = await fresh()
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
        store = await fresh()
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
        store = await fresh()
        const w = writer(store)
        const batches = Array.from({ length: 60 }, (_, i) => w.next(1 + (i % 3)))
        const states = await Promise.all(batches.map((b) => store.append(CH, b)))
        expect(states.map((s) => s.nextSeq)).toEqual(
          batches.map((b) => (b[b.length - 1] as Entry).seq + 1),
        )
        expect(summary(await store.read(CH, 0 as Seq))).toEqual(summary(batches.flat()))
      })

      it('let exactly one of two writers of the same seqs win', async () => {
        store = await fresh()
        const a = testLogWriter(hasher, CH, peerId('writer-a'), tailOf(store.state(CH))).next(3)
        const b = testLogWriter(hasher, CH, peerId('writer-b'), tailOf(store.state(CH))).next(3)
        const results = await Promise.allSettled([store.append(CH, a), store.append(CH, b)])
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
        expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(SeqConflictError)
        expect((await store.read(CH, 0 as Seq)).map((e) => e.author)).toEqual(
          Array(3).fill('writer-a'),
        )
      })

      it('a failing batch in a burst fails alone; later batches that do not depend on it land', async () => {
        store = await fresh()
        const w = writer(store)
        const good1 = w.next(2)
        const bad = sealEntries(hasher, CH, { nextSeq: 99 as Seq, lastHash: GENESIS_HASH }, [
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

    describe('verification on read', () => {
      it('detects damaged stored bytes with CorruptLogError', async () => {
        store = await fresh()
        await store.append(CH, writer(store).next(20, 30))
        await harness.corrupt(store, CH, 7 as Seq)
        store = await reopen(store)
        await expect(store.read(CH, 0 as Seq)).rejects.toBeInstanceOf(CorruptLogError)
      })
    })

    describe('running out of space', () => {
      it('fails with StorageFullError, writes nothing of that batch, loses nothing before it', async () => {
        store = await fresh()
        const w = writer(store)
        const kept = w.next(100, 64)
        await store.append(CH, kept)
        const restore = await harness.limitSpace(store, 1 << 20)
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

    describe('outbox', () => {
      const B = peerId('author-b')

      it('outbox survives restart', async () => {
        store = await fresh()
        const written = [
          pending(B, 3, true),
          pending(AUTHOR, 2, 'in-group'),
          pending(B, 1),
          pending(AUTHOR, 1),
        ]
        await store.putOutbox(CH, written)
        await store.putOutbox(OTHER, [pending(AUTHOR, 9)])
        expect(store.outboxSize(CH)).toBe(4)
        store = await reopen(store)
        expect(store.outboxSize(CH)).toBe(4)
        expect(store.outboxSize(OTHER)).toBe(1)
        expect(outboxSummary(await store.outbox(CH))).toEqual(
          outboxSummary([
            pending(AUTHOR, 1),
            pending(AUTHOR, 2, 'in-group'),
            pending(B, 1),
            pending(B, 3, true),
          ]),
        )
        await store.removeOutbox(CH, [
          { author: AUTHOR, authorSeq: 1 },
          { author: B, authorSeq: 3 },
          { author: B, authorSeq: 77 },
        ])
        store = await reopen(store)
        expect(outboxSummary(await store.outbox(CH))).toEqual(
          outboxSummary([pending(AUTHOR, 2, 'in-group'), pending(B, 1)]),
        )
        expect(store.outboxSize(CH)).toBe(2)
      })

      it('keeps the first copy of a key put twice', async () => {
        store = await fresh()
        await store.putOutbox(CH, [pending(AUTHOR, 1)])
        await store.putOutbox(CH, [
          { ...pending(AUTHOR, 1), payload: new Uint8Array([99]) },
          pending(AUTHOR, 2),
          pending(AUTHOR, 2),
        ])
        expect(store.outboxSize(CH)).toBe(2)
        expect((await store.outbox(CH)).map((e) => Array.from(e.payload))).toEqual([
          [1, 7, 7],
          [2, 7, 7],
        ])
      })

      it('refuses a batch past its capacity whole, unless forced', async () => {
        store = await fresh({ outboxCapacity: 3 })
        await store.putOutbox(CH, [pending(AUTHOR, 1), pending(AUTHOR, 2)])
        await expect(
          store.putOutbox(CH, [pending(AUTHOR, 3), pending(AUTHOR, 4)]),
        ).rejects.toBeInstanceOf(OutboxFullError)
        expect(store.outboxSize(CH)).toBe(2)
        await store.putOutbox(CH, [pending(AUTHOR, 2), pending(AUTHOR, 3)])
        expect(store.outboxSize(CH)).toBe(3)
        await store.putOutbox(CH, [pending(AUTHOR, 4), pending(AUTHOR, 5)], { force: true })
        expect((await store.outbox(CH)).map((e) => e.authorSeq)).toEqual([1, 2, 3, 4, 5])
      })
    })

    describe('author marks', () => {
      const B = peerId('author-b')

      it("dedupe across restart: each author's highest committed authorSeq persists", async () => {
        store = await fresh()
        expect(store.authorMark(CH, AUTHOR)).toBe(NO_MARK)
        await store.append(
          CH,
          authored(store, [
            [AUTHOR, 0],
            [B, 0],
            [AUTHOR, 1],
          ]),
        )
        await store.append(
          CH,
          authored(store, [
            [B, 1],
            [B, 2],
          ]),
        )
        await store.append(OTHER, authored(store, [[AUTHOR, 5]], OTHER))
        store = await reopen(store)
        expect(store.authorMark(CH, AUTHOR)).toBe(1)
        expect(store.authorMark(CH, B)).toBe(2)
        expect(store.authorMark(OTHER, AUTHOR)).toBe(5)
        expect(store.authorMark(OTHER, B)).toBe(NO_MARK)
      })

      it('follow a truncation down, in the same write, and keep through skipTo and retention', async () => {
        store = await fresh()
        await store.append(
          CH,
          authored(store, [
            [AUTHOR, 0],
            [B, 0],
            [AUTHOR, 1],
            [B, 1],
          ]),
        )
        await store.append(
          CH,
          authored(store, [
            [B, 2],
            [AUTHOR, 2],
          ]),
        )
        await store.truncateAfter(CH, 2)
        expect(store.authorMark(CH, AUTHOR)).toBe(1)
        expect(store.authorMark(CH, B)).toBe(0)
        await store.truncateAfter(CH, 0)
        expect(store.authorMark(CH, B)).toBe(NO_MARK)
        store = await reopen(store)
        expect(store.authorMark(CH, AUTHOR)).toBe(0)
        expect(store.authorMark(CH, B)).toBe(NO_MARK)
        await store.append(
          CH,
          authored(store, [
            [B, 0],
            [B, 1],
          ]),
        )
        await store.setRetention(CH, { maxEntries: 1 })
        await store.sweepRetention(CH)
        await store.skipTo(CH, 40 as Seq, new Uint8Array(32).fill(4))
        store = await reopen(store)
        expect(store.authorMark(CH, AUTHOR)).toBe(0)
        expect(store.authorMark(CH, B)).toBe(1)
      })

      it('are forgotten with the channel, outbox too', async () => {
        store = await fresh()
        await store.append(CH, authored(store, [[AUTHOR, 4]]))
        await store.putOutbox(CH, [pending(AUTHOR, 5)])
        await store.deleteChannel(CH)
        store = await reopen(store)
        expect(store.authorMark(CH, AUTHOR)).toBe(NO_MARK)
        expect(store.outboxSize(CH)).toBe(0)
        expect(await store.outbox(CH)).toEqual([])
      })
    })

    describe('deleteChannel', () => {
      it('forgets the channel and its entries', async () => {
        store = await fresh()
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

    describe('model check', () => {
      it('any sequence of operations matches a plain-array model', async () => {
        type Op =
          | { kind: 'append'; count: number; size: number }
          | { kind: 'truncate'; back: number }
          | { kind: 'skip'; ahead: number }
          | { kind: 'sweep'; maxEntries: number }
          | { kind: 'reopen' }
        const op: fc.Arbitrary<Op> = fc.oneof(
          {
            weight: 5,
            arbitrary: fc.record({
              kind: fc.constant('append' as const),
              count: fc.integer({ min: 1, max: 40 }),
              size: fc.integer({ min: 0, max: 64 }),
            }),
          },
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant('truncate' as const),
              back: fc.integer({ min: 0, max: 30 }),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant('skip' as const),
              ahead: fc.integer({ min: 0, max: 10 }),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant('sweep' as const),
              maxEntries: fc.integer({ min: 0, max: 50 }),
            }),
          },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
        )
        await fc.assert(
          fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
            let s = await fresh()
            let model: Entry[] = []
            let first = 0
            let tail = { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }
            for (const o of ops) {
              if (o.kind === 'append') {
                const batch = testLogWriter(hasher, CH, AUTHOR, tail).next(o.count, o.size)
                await s.append(CH, batch)
                model.push(...batch)
              } else if (o.kind === 'truncate') {
                const lastKept = Math.max(first - 1, tail.nextSeq - 1 - o.back)
                await s.truncateAfter(CH, lastKept)
                model = model.filter((e) => e.seq <= lastKept)
              } else if (o.kind === 'skip') {
                const target = (tail.nextSeq + o.ahead) as Seq
                const anchor = new Uint8Array(32).fill(o.ahead)
                await s.skipTo(CH, target, anchor)
                if (target !== tail.nextSeq || first !== tail.nextSeq) {
                  model = []
                  first = target
                }
              } else if (o.kind === 'sweep') {
                await s.setRetention(CH, { maxEntries: o.maxEntries })
                await s.sweepRetention(CH)
                if (model.length > o.maxEntries) {
                  model = model.slice(model.length - o.maxEntries)
                  first = (model[0]?.seq ?? tail.nextSeq) as number
                }
              } else {
                s = await reopen(s)
              }
              const state = s.state(CH)
              tail = tailOf(state)
              expect(state.firstSeq).toBe(first)
              expect(state.nextSeq).toBe(
                model.length > 0 ? (model[model.length - 1] as Entry).seq + 1 : first,
              )
              expect(state.payloadBytes).toBe(model.reduce((n, e) => n + e.payload.byteLength, 0))
              expect(summary(await s.read(CH, first as Seq))).toEqual(summary(model))
            }
            await harness.destroy(s)
            live.delete(s)
          }),
          { numRuns: harness.propertyRuns ?? 60 },
        )
      })
    })
  })
}
