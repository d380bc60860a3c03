/**
 * The LogStore contract (log-store.contract.ts): writes waiting for a
 * leader (the outbox) and each author's highest committed write (author
 * marks).
 */
import { describe, expect, it } from 'vitest'
import { NO_MARK } from '../author-marks.js'
import { peerId, type Seq } from '../ids.js'
import { OutboxFullError } from '../log-errors.js'
import { AUTHOR, CH, type ContractKit, OTHER, outboxSummary, pending } from './contract-kit.js'

export function outboxContract(kit: ContractKit): void {
  const { fresh, reopen, authored } = kit
  describe('outbox', () => {
    const B = peerId('author-b')

    it('outbox survives restart', async () => {
      let store = await fresh()
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
      const store = await fresh()
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
      const store = await fresh({ outboxCapacity: 3 })
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
      let store = await fresh()
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
      let store = await fresh()
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
      let store = await fresh()
      await store.append(CH, authored(store, [[AUTHOR, 4]]))
      await store.putOutbox(CH, [pending(AUTHOR, 5)])
      await store.deleteChannel(CH)
      store = await reopen(store)
      expect(store.authorMark(CH, AUTHOR)).toBe(NO_MARK)
      expect(store.outboxSize(CH)).toBe(0)
      expect(await store.outbox(CH)).toEqual([])
    })
  })
}
