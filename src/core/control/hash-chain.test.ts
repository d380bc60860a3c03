import { equals } from 'uint8arrays/equals'
import { describe, expect, it } from 'vitest'
import { HASH_BYTES } from '../log/entry.js'
import { silentLogger } from '../logger.js'
import { ManualClock } from '../time/manual-clock.js'
import type { AdminAuditRecord } from './admin-gate.js'
import { canonicalJsonBytes } from './canonical-json.js'
import { type ChainLink, type ChainSink, type ChainStatus, HashChainWriter } from './hash-chain.js'
import { BufferingSink, hasher, makeTestLoop } from './test-control-kit.js'

interface Rec {
  readonly seq: number
}

function writer(
  sink: ChainSink<Rec> | undefined,
  options: { backlog?: number; genesis?: Uint8Array } = {},
) {
  const clock = new ManualClock()
  const chain = new HashChainWriter<Rec>({
    domain: 'test/v1',
    hasher,
    clock,
    logger: silentLogger,
    backlogCapacity: options.backlog ?? 16,
    appendTimeoutMs: 100,
    sink,
    ...(options.genesis === undefined ? {} : { genesis: options.genesis }),
  })
  const statuses: ChainStatus[] = []
  const push = (seq: number) => {
    const status: ChainStatus = { chainPending: false, chainHash: undefined }
    statuses.push(status)
    chain.push({ seq }, status)
  }
  return { chain, clock, statuses, push }
}

/** Recomputes every link from its record and checks each chains onto the one before. */
function verifyLinks(links: readonly ChainLink<Rec>[], genesis = new Uint8Array(HASH_BYTES)): void {
  let prev: Uint8Array = genesis
  for (const [i, link] of links.entries()) {
    expect(link.index).toBe(i + 1)
    expect(equals(link.prevHash, prev)).toBe(true)
    const index = new Uint8Array(8)
    new DataView(index.buffer).setBigUint64(0, BigInt(link.index))
    const expected = hasher.digest(
      new TextEncoder().encode('test/v1'),
      prev,
      index,
      canonicalJsonBytes(link.record),
    )
    expect(equals(link.hash, expected)).toBe(true)
    prev = link.hash
  }
}

describe('hash chain: ring first, chain second, retried in order', () => {
  it('chains every record onto the previous link with BLAKE3', () => {
    const sink = new BufferingSink<Rec>()
    const genesis = new Uint8Array(HASH_BYTES).fill(7)
    const { push, statuses } = writer(sink, { genesis })
    for (const seq of [1, 2, 3]) push(seq)
    verifyLinks(sink.links, genesis)
    expect(statuses.map((s) => s.chainPending)).toEqual([false, false, false])
    expect(statuses[2]?.chainHash).toBe(Buffer.from(sink.links[2]?.hash ?? []).toString('hex'))
  })

  it('a failed append leaves that link and all behind it pending; flush retries in order', () => {
    const sink = new BufferingSink<Rec>()
    const { chain, push, statuses } = writer(sink)
    push(1)
    // Pushing 2 fails; pushing 3 retries 2 first and fails again; so does one flush.
    sink.failNext = 3
    push(2)
    push(3)
    expect(statuses.map((s) => s.chainPending)).toEqual([false, true, true])
    chain.flush()
    expect(chain.counters()).toMatchObject({ appended: 1, pending: 2, appendFailures: 3 })
    chain.flush()
    expect(statuses.map((s) => s.chainPending)).toEqual([false, false, false])
    expect(sink.links.map((l) => l.record.seq)).toEqual([1, 2, 3])
    verifyLinks(sink.links)
  })

  it('awaits an asynchronous sink one link at a time, and times a stuck append out', async () => {
    const appended: number[] = []
    let stall = true
    const sink: ChainSink<Rec> = {
      append(link) {
        if (stall && link.index === 2) return new Promise(() => {})
        return Promise.resolve().then(() => {
          appended.push(link.index)
        })
      },
    }
    const { chain, clock, push, statuses } = writer(sink)
    push(1)
    push(2)
    push(3)
    await clock.advanceAsync(0)
    expect(appended).toEqual([1])
    expect(statuses.map((s) => s.chainPending)).toEqual([false, true, true])
    await clock.advanceAsync(100)
    expect(chain.counters()).toMatchObject({ appendFailures: 1, pending: 2 })
    stall = false
    chain.flush()
    await clock.advanceAsync(0)
    expect(appended).toEqual([1, 2, 3])
    expect(statuses.map((s) => s.chainPending)).toEqual([false, false, false])
  })

  it('past the backlog capacity a record stays in its ring unchained, and is counted', () => {
    const sink = new BufferingSink<Rec>()
    sink.failNext = Number.POSITIVE_INFINITY
    const { chain, push, statuses } = writer(sink, { backlog: 2 })
    for (const seq of [1, 2, 3]) push(seq)
    expect(statuses[2]).toEqual({ chainPending: false, chainHash: undefined })
    expect(chain.counters()).toMatchObject({ pending: 2, unchained: 1 })
    sink.failNext = 0
    chain.flush()
    // The chain has no gap: the unchained record never took an index.
    verifyLinks(sink.links)
    expect(sink.links.map((l) => l.record.seq)).toEqual([1, 2])
  })

  it('the loop retries a failed audit append on the next tick', async () => {
    const sink = new BufferingSink<AdminAuditRecord>()
    sink.failNext = 1
    const t = makeTestLoop({ auditSink: sink })
    const handle = t.loop.acquireHandle()
    t.loop.start()
    await handle.publish({
      type: 'signed-admin-commit',
      commit: t.keys.sign({ type: 'unfreeze' }, t.clock.wallNow()),
    })
    await t.clock.advanceAsync(0)
    expect(sink.links).toHaveLength(0)
    await t.clock.advanceAsync(10)
    expect(sink.links).toHaveLength(1)
    expect(t.loop.snapshot().adminAudit[0]?.chainPending).toBe(false)
    await t.loop.stop()
  })
})
