/**
 * Seed 002's event-loop tests, ported by name, in four files
 * (control-loop-*.seed.test.ts); this one: the log and admin audit chains,
 * and admin events that abort migrations. Time is a ManualClock, so "let
 * several ticks fire" is an exact number of ticks and nothing sleeps.
 */
import { describe, expect, it } from 'vitest'
import { HASH_BYTES } from '../log/entry.js'
import type { AdminAuditRecord, SyncAborter } from './admin-gate.js'
import { canonicalJsonBytes } from './canonical-json.js'
import type { LogRingRecord } from './event-records.js'
import { BufferingSink, ch, hasher, makeTestLoop, p } from './test-control-kit.js'

describe('seed 002: mesh control loop — audit', () => {
  it('log_chain_appender_receives_every_published_log_line', async () => {
    const sink = new BufferingSink<LogRingRecord>()
    const { loop, clock } = makeTestLoop({ logSink: sink })
    const handle = loop.acquireHandle()
    loop.start()
    for (const [i, level] of (['info', 'warn', 'error'] as const).entries()) {
      await handle.publish({ type: 'log-line', level, message: `msg ${i}` })
    }
    await clock.advanceAsync(60)
    expect(sink.links).toHaveLength(3)
    const ring = loop.snapshot().logRing
    expect(ring).toHaveLength(3)
    for (const [i, link] of sink.links.entries()) {
      expect(ring[i]?.seq).toBe(link.record.seq)
      expect(ring[i]?.message).toBe(link.record.message)
      expect(ring[i]?.chainPending).toBe(false)
    }
    handle.close()
    await clock.advanceAsync(0)
    expect((await loop.exited).reason).toBe('handles-released')
  })

  it('admin_audit_chain_appender_receives_every_recorded_commit', async () => {
    const sink = new BufferingSink<AdminAuditRecord>()
    const { loop, clock, keys } = makeTestLoop({ auditSink: sink })
    const handle = loop.acquireHandle()
    loop.start()
    const command = { type: 'drain-peer', peer: p('42') } as const
    await handle.publish({
      type: 'signed-admin-commit',
      commit: keys.sign(command, clock.wallNow()),
    })
    await clock.advanceAsync(60)
    expect(sink.links).toHaveLength(1)
    const link = sink.links[0]
    expect(link?.record.command).toEqual(command)
    expect(link?.record.outcome).toEqual({ status: 'accepted' })
    const ring = loop.snapshot().adminAudit
    expect(ring).toHaveLength(1)
    expect(ring[0]?.seq).toBe(link?.record.seq)
    expect(ring[0]?.chainPending).toBe(false)
    // The link is a BLAKE3 hash over the genesis and the record, as the ring reports it.
    const index = new Uint8Array(8)
    index[7] = 1
    const expected = hasher.digest(
      new TextEncoder().encode('meshlog/admin-audit/v1'),
      new Uint8Array(HASH_BYTES),
      index,
      canonicalJsonBytes(link?.record),
    )
    expect(link?.hash).toEqual(expected)
    expect(ring[0]?.chainHash).toBe(Buffer.from(expected).toString('hex'))
    handle.close()
    await clock.advanceAsync(0)
    await loop.exited
  })

  it('audit_ring_flags_chain_pending_on_appender_failure', async () => {
    const { loop, clock, keys } = makeTestLoop({
      auditSink: {
        append() {
          throw new Error('test-injected appender failure')
        },
      },
    })
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({
      type: 'signed-admin-commit',
      commit: keys.sign({ type: 'drain-peer', peer: p('99') }, clock.wallNow()),
    })
    await clock.advanceAsync(60)
    const ring = loop.snapshot().adminAudit
    expect(ring).toHaveLength(1)
    expect(ring[0]?.chainPending).toBe(true)
    expect(loop.snapshot().counters.auditChain).toMatchObject({ pending: 1, appended: 0 })
    handle.close()
    await clock.advanceAsync(0)
    await loop.exited
  })

  it('kill_migration_dispatches_to_installed_aborter', async () => {
    const aborted: [string, string | undefined][] = []
    const syncAborter: SyncAborter = { abort: (channel, peer) => aborted.push([channel, peer]) }
    const { loop, clock, keys } = makeTestLoop({ syncAborter })
    const handle = loop.acquireHandle()
    loop.start()
    const command = { type: 'abort-sync', channel: ch('cafe'), peer: p('x') } as const
    await handle.publish({
      type: 'signed-admin-commit',
      commit: keys.sign(command, clock.wallNow()),
    })
    await clock.advanceAsync(60)
    expect(aborted).toEqual([['cafe', 'x']])
    expect(loop.snapshot().recentFailures).toEqual([])
    handle.close()
    await clock.advanceAsync(0)
    await loop.exited
  })

  it('non_kill_admin_events_do_not_invoke_aborter', async () => {
    const aborted: string[] = []
    const { loop, clock, keys } = makeTestLoop({
      syncAborter: { abort: (channel) => aborted.push(channel) },
    })
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({
      type: 'signed-admin-commit',
      commit: keys.sign({ type: 'drain-peer', peer: p('42') }, clock.wallNow()),
    })
    await clock.advanceAsync(60)
    expect(loop.snapshot().adminAudit).toHaveLength(1)
    expect(aborted).toEqual([])
    handle.close()
    await clock.advanceAsync(0)
    await loop.exited
  })
})
