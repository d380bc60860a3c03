/**
 * The LogStore contract (log-store.contract.ts): any sequence of appends,
 * truncations, skips, sweeps and reopens matches a plain-array model.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Entry, GENESIS_HASH } from '../entry.js'
import type { Seq } from '../ids.js'
import { testLogWriter } from '../test-entries.js'
import { AUTHOR, CH, type ContractKit, summary, tailOf } from './contract-kit.js'

export function modelContract(kit: ContractKit): void {
  const { fresh, reopen } = kit
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
              const batch = testLogWriter(kit.hasher, CH, AUTHOR, tail).next(o.count, o.size)
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
          await kit.destroy(s)
        }),
        { numRuns: kit.harness.propertyRuns ?? 60 },
      )
    })
  })
}
