/**
 * Seed 002's 26 event-loop tests, ported by name. Time is a ManualClock, so
 * "let several ticks fire" is an exact number of ticks and nothing sleeps.
 */
import { describe, expect, it } from 'vitest'
import { HASH_BYTES } from '../log/entry.js'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { MemoryLogger } from '../logger.js'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import type { AdminAuditRecord, SyncAborter } from './admin-gate.js'
import { canonicalJsonBytes } from './canonical-json.js'
import { LoopClosedError, QueueFullError } from './control-errors.js'
import type { ControlEvent } from './control-events.js'
import { ControlLoop } from './control-loop.js'
import type { LogRingRecord } from './event-records.js'
import { ProbeRegistry } from './probes.js'
import {
  BufferingSink,
  channelView,
  hasher,
  inventoryPeers,
  makeTestLoop,
  peerView,
  SELF,
  track,
} from './test-control-kit.js'

const ch = (name: string): ChannelId => channelId(name)
const p = (name: string): PeerId => peerId(name)
const opened = (name: string, replicaSet?: PeerId[]): ControlEvent =>
  replicaSet === undefined
    ? { type: 'channel-opened', channel: ch(name) }
    : { type: 'channel-opened', channel: ch(name), replicaSet }

describe('seed 002: mesh control loop', () => {
  it('loop_exits_cleanly_when_all_handles_drop', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    const exit = track(loop.exited)
    await clock.advanceAsync(25)
    expect(exit.settled).toBe(false)
    handle.close()
    await clock.advanceAsync(0)
    expect(exit.value).toEqual({ reason: 'handles-released', reconcileCount: 2 })
    // Nothing to do under a steady empty state: the action queue stays empty.
    expect(loop.actions.take()).toBeUndefined()
    expect(await loop.actions.next()).toBeUndefined()
  })

  it('loop_exits_on_shutdown_event', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish({ type: 'shutdown' })
    await clock.advanceAsync(0)
    expect((await loop.exited).reason).toBe('shutdown-event')
    expect(loop.running).toBe(false)
    await expect(handle.publish({ type: 'peer-connected', peer: p('a') })).rejects.toBeInstanceOf(
      LoopClosedError,
    )
  })

  it('publish_timeout_returns_queue_full_when_loop_is_wedged', async () => {
    // The loop is never started: the handle is alive but nothing drains the inbox.
    const { loop, clock } = makeTestLoop({ config: { eventQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    await handle.publish({ type: 'peer-connected', peer: p('a') })
    const second = track(handle.publishTimeout({ type: 'peer-connected', peer: p('b') }, 50))
    await clock.advanceAsync(49)
    expect(second.settled).toBe(false)
    await clock.advanceAsync(1)
    expect(second.error).toBeInstanceOf(QueueFullError)
    expect((second.error as QueueFullError).code).toBe('ERR_QUEUE_FULL')
    // It honoured its budget exactly: rejected at 50 ms of loop time, not later.
    expect(clock.now()).toBe(50)
  })

  it('panicking_probe_does_not_kill_the_loop', async () => {
    const logger = new MemoryLogger()
    const { loop, clock } = makeTestLoop({ logger })
    loop.probes.addLocalityProbe({
      rttSamples() {
        throw new Error('boom from probe')
      },
    })
    const handle = loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(60)
    await handle.publish({ type: 'shutdown' })
    await clock.advanceAsync(0)
    const exit = await loop.exited
    expect(exit.reconcileCount).toBe(6)
    expect(loop.snapshot().counters.probeFailures).toMatchObject({ locality: 6 })
    expect(logger.records.filter((l) => l.level === 'error')).toHaveLength(6)
  })

  it('inventory_gc_drops_peers_no_probe_samples_anymore', async () => {
    const script = [
      ['a', 'b', 'c'],
      ['b', 'c'],
      ['b', 'c'],
    ]
    let tick = 0
    const { loop, clock } = makeTestLoop()
    loop.probes.addInventoryProbe({
      inventorySamples() {
        const peers = script[Math.min(tick++, script.length - 1)] ?? []
        return peers.map((peer) => ({ peer: p(peer), inventory: { storageUsageBytes: 100 } }))
      },
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(10)
    expect(inventoryPeers(loop.snapshot())).toEqual(['a', 'b', 'c'])
    await clock.advanceAsync(70)
    expect(inventoryPeers(loop.snapshot())).toEqual(['b', 'c'])
    await loop.stop()
  })

  it('inventory_gc_does_not_wipe_peers_when_one_of_two_probes_panics', async () => {
    let calls = 0
    const { loop, clock } = makeTestLoop()
    loop.probes.addInventoryProbe({
      inventorySamples: () => [{ peer: p('a'), inventory: { storageUsageBytes: 1 } }],
    })
    loop.probes.addInventoryProbe({
      inventorySamples() {
        if (calls++ > 0) throw new Error(`probe B threw on tick ${calls}`)
        return [{ peer: p('b'), inventory: { storageUsageBytes: 2 } }]
      },
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    expect(calls).toBe(8)
    // Ticks 2..8 were partial: not authoritative for probe B's peer.
    expect(inventoryPeers(loop.snapshot())).toEqual(['a', 'b'])
    await loop.stop()
  })

  it('inventory_gc_does_not_wipe_on_a_transient_empty_probe', async () => {
    let calls = 0
    const { loop, clock } = makeTestLoop()
    loop.probes.addInventoryProbe({
      inventorySamples: () =>
        calls++ === 0
          ? [
              { peer: p('a'), inventory: { storageUsageBytes: 1 } },
              { peer: p('b'), inventory: { storageUsageBytes: 2 } },
            ]
          : [],
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    expect(calls).toBe(8)
    expect(inventoryPeers(loop.snapshot())).toEqual(['a', 'b'])
    await loop.stop()
  })

  it('snapshot_reader_does_not_stall_under_concurrent_reads', async () => {
    const { loop, clock } = makeTestLoop({ config: { tickIntervalMs: 5 } })
    const readers = Array.from({ length: 8 }, () => loop.reader())
    const handle = loop.acquireHandle()
    loop.start()
    let reads = 0
    const held = readers.map((r) => r.read())
    for (let step = 0; step < 12; step++) {
      await handle.publish({ type: 'rtt-sample', peer: p('a'), rttMs: step })
      await clock.advanceAsync(5)
      for (const reader of readers) {
        const snapshot = reader.read()
        expect(Object.isFrozen(snapshot)).toBe(true)
        expect(snapshot.reconcileCount).toBe(step + 1)
        expect(peerView(snapshot, 'a')?.rttMs).toBe(step)
        reads++
      }
    }
    expect(reads).toBe(96)
    // Snapshots a reader still holds are never touched by later publishes.
    for (const snapshot of held) expect(snapshot.reconcileCount).toBe(0)
    await loop.stop()
  })

  it('dropped_actions_counter_increments_when_action_queue_is_full', async () => {
    const { loop, clock } = makeTestLoop({ config: { actionQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    loop.start()
    // Five channels this peer should run: reconcile emits one start-runtime each.
    for (const name of ['c1', 'c2', 'c3', 'c4', 'c5']) await handle.publish(opened(name))
    await clock.advanceAsync(10)
    const afterOne = loop.snapshot()
    expect(afterOne.counters.droppedActions).toMatchObject({ queue_full: 4, total: 4 })
    // Only the action the queue accepted is recorded as emitted.
    expect(afterOne.recentlyEmitted.map((e) => e.action)).toEqual([
      { kind: 'start-runtime', channel: 'c1', replicaSet: [SELF], replicaSetVersion: 1 },
    ])
    // Nobody drains the queue: the four are derived again, and dropped again, every tick.
    await clock.advanceAsync(70)
    expect(loop.snapshot().counters.droppedActions).toMatchObject({ queue_full: 32 })
    await handle.publish({ type: 'shutdown' })
    await clock.advanceAsync(0)
    await loop.exited
  })

  it('ticks_drive_reconcile_passes', async () => {
    const { loop, clock } = makeTestLoop({ config: { tickIntervalMs: 20 } })
    const handle = loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(120)
    await handle.publish({ type: 'shutdown' })
    await clock.advanceAsync(0)
    expect((await loop.exited).reconcileCount).toBe(6)
  })

  it('locality_probe_samples_fold_into_actual_rtt_via_snapshot', async () => {
    const { loop, clock } = makeTestLoop()
    loop.probes.addLocalityProbe({
      rttSamples: () => [
        { peer: p('10'), rttMs: 33 },
        { peer: p('11'), rttMs: 150 },
      ],
    })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    expect(peerView(loop.snapshot(), '10')?.rttMs).toBe(33)
    expect(peerView(loop.snapshot(), '11')?.rttMs).toBe(150)
    await loop.stop()
  })

  it('health_probe_samples_fold_into_actual_health_via_snapshot', async () => {
    const { loop, clock } = makeTestLoop()
    loop.probes.addHealthProbe({ healthSamples: () => [{ peer: p('5'), health: 'unreachable' }] })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(80)
    expect(peerView(loop.snapshot(), '5')?.health).toBe('unreachable')
    await loop.stop()
  })

  it('probe_registry_attached_post_construction_is_polled_on_next_tick', async () => {
    const registry = new ProbeRegistry()
    const { loop, clock } = makeTestLoop({ probes: registry })
    loop.acquireHandle()
    loop.start()
    await clock.advanceAsync(10)
    expect(peerView(loop.snapshot(), '99')).toBeUndefined()
    // Installed after the loop started: the shared registry hands it to the next tick.
    registry.addLocalityProbe({ rttSamples: () => [{ peer: p('99'), rttMs: 7 }] })
    await clock.advanceAsync(10)
    expect(peerView(loop.snapshot(), '99')?.rttMs).toBe(7)
    await loop.stop()
  })

  it('snapshot_reader_returns_updated_state_after_each_tick', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish(opened('c0ffee', [SELF, p('7')]))
    await clock.advanceAsync(5)
    // Folded, but the snapshot is only republished after a reconcile.
    expect(channelView(loop.snapshot(), 'c0ffee')).toBeUndefined()
    await clock.advanceAsync(5)
    expect(channelView(loop.snapshot(), 'c0ffee')?.desired?.replicaSet).toEqual([SELF, '7'])
    await handle.publish({ type: 'channel-closed', channel: ch('c0ffee') })
    await clock.advanceAsync(10)
    expect(channelView(loop.snapshot(), 'c0ffee')?.desired).toBeUndefined()
    await loop.stop()
  })

  it('snapshot_reader_is_cloneable_and_sees_same_state', async () => {
    const { loop, clock } = makeTestLoop()
    const readerA = loop.reader()
    const readerB = loop.reader()
    const handle = loop.acquireHandle()
    loop.start()
    await handle.publish(opened('one'))
    await clock.advanceAsync(100)
    expect(readerA.read()).toBe(readerB.read())
    expect(readerA.read()).toEqual(readerB.read())
    expect(channelView(readerA.read(), 'one')).toBeDefined()
    await loop.stop()
  })

  it('loop_drains_event_burst_without_panicking', async () => {
    const { loop, clock } = makeTestLoop()
    const handle = loop.acquireHandle()
    const publisher = (async () => {
      await handle.publish({ type: 'peer-connected', peer: p('11') })
      await handle.publish({ type: 'peer-connected', peer: p('12') })
      await handle.publish({ type: 'peer-lost', peer: p('11') })
      await handle.publish({ type: 'shutdown' })
    })()
    loop.start()
    await publisher
    const exit = track(loop.exited)
    await clock.advanceAsync(0)
    expect(exit.value).toEqual({ reason: 'shutdown-event', reconcileCount: 0 })
  })

  it('loop_construction_returns_handle_and_actions_receiver', () => {
    const loop = new ControlLoop({
      thisPeer: SELF,
      clock: new ManualClock(),
      rng: seededRng(1),
      hasher,
    })
    const handle = loop.acquireHandle()
    const clone = loop.acquireHandle()
    expect(handle).not.toBe(clone)
    expect(loop.actions.capacity).toBe(256)
    expect(loop.actions.size).toBe(0)
    expect(loop.runtimeEpochId).toMatch(/^[0-9a-f]{16}$/)
    expect(loop.snapshot().runtimeEpochId).toBe(loop.runtimeEpochId)
  })

  it('try_publish_surfaces_queue_full_under_saturation', async () => {
    const { loop, clock } = makeTestLoop({ config: { eventQueueCapacity: 1 } })
    const handle = loop.acquireHandle()
    handle.tryPublish({ type: 'peer-connected', peer: p('a') })
    expect(() => handle.tryPublish({ type: 'peer-connected', peer: p('b') })).toThrow(
      QueueFullError,
    )
    handle.close()
    // With no handle left, the loop drains its backlog and exits.
    loop.start()
    await clock.advanceAsync(0)
    expect((await loop.exited).reason).toBe('handles-released')
    expect(loop.snapshot().counters.droppedEvents).toMatchObject({ discarded_at_exit: 0 })
  })

  it('shutdown_event_short_circuits_pending_events_after_it', async () => {
    const { loop, clock } = makeTestLoop({ config: { tickIntervalMs: 60_000 } })
    const handle = loop.acquireHandle()
    await handle.publish({ type: 'shutdown' })
    await handle.publish(opened('one'))
    loop.start()
    await clock.advanceAsync(0)
    const exit = await loop.exited
    expect(exit.reconcileCount).toBe(0)
    expect(loop.snapshot().channels).toEqual([])
    expect(loop.snapshot().counters.droppedEvents).toMatchObject({ discarded_at_exit: 1 })
    await expect(handle.publish(opened('two'))).rejects.toBeInstanceOf(LoopClosedError)
  })

  it('reconcile_emitted_at_anchored_on_last_tick_for_replay_determinism', async () => {
    const run = async () => {
      const { loop, clock, keys } = makeTestLoop({ config: { tickIntervalMs: 80 } })
      // A slow probe: loop time moves on while the tick is being served.
      let clockAfterProbe = 0
      loop.probes.addLocalityProbe({
        rttSamples() {
          clock.advance(5)
          clockAfterProbe = clock.now()
          return []
        },
      })
      const handle = loop.acquireHandle()
      loop.start()
      const drain = keys.sign({ type: 'drain-peer', peer: SELF }, clock.wallNow())
      await handle.publish({ type: 'signed-admin-commit', commit: drain })
      await handle.publish(opened('one'))
      await clock.advanceAsync(80)
      await handle.publish({ type: 'shutdown' })
      await clock.advanceAsync(0)
      await loop.exited
      return { snapshot: loop.snapshot(), clockAfterProbe }
    }
    const { snapshot, clockAfterProbe } = await run()
    expect(snapshot.lastTickAt).toBe(80)
    expect(clockAfterProbe).toBe(85)
    expect(snapshot.recentlyEmitted.map((e) => e.kind)).toEqual(['drain-start', 'drain-finish'])
    for (const emitted of snapshot.recentlyEmitted) {
      expect(emitted.emittedAt).toBe(snapshot.lastTickAt)
      expect(emitted.ageMs).toBe(0)
    }
    // A replay of the same events stamps the same actions identically.
    expect((await run()).snapshot.recentlyEmitted).toEqual(snapshot.recentlyEmitted)
  })

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

  it('clear_inventory_probes_drops_installed_probes_only', () => {
    const registry = new ProbeRegistry()
    registry.addLocalityProbe({ rttSamples: () => [] })
    registry.addHealthProbe({ healthSamples: () => [] })
    registry.addInventoryProbe({ inventorySamples: () => [] })
    registry.addInventoryProbe({ inventorySamples: () => [] })
    expect(registry.counts()).toEqual({ locality: 1, health: 1, inventory: 2 })
    registry.clearInventoryProbes()
    expect(registry.counts()).toEqual({ locality: 1, health: 1, inventory: 0 })
    registry.clearLocalityProbes()
    expect(registry.counts()).toEqual({ locality: 0, health: 1, inventory: 0 })
    registry.clearHealthProbes()
    expect(registry.counts()).toEqual({ locality: 0, health: 0, inventory: 0 })
    registry.addInventoryProbe({ inventorySamples: () => [] })
    expect(registry.counts()).toEqual({ locality: 0, health: 0, inventory: 1 })
  })
})
