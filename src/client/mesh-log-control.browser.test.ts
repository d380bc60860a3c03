import { afterEach, describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import {
  bytes,
  deleteNamespace,
  freshNamespace,
  nextEvent,
  untilOneLeader,
  untilTail,
} from '../../test/mesh-log-kit.js'
import type { ControlSnapshot } from '../core/control/control-snapshot.js'
import { MeshLog } from './mesh-log.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** Two tabs of one origin (two MeshLogs on one page), each with its own page-lifecycle target. */
async function twoTabs(label: string, heartbeatMs: number) {
  const namespace = freshNamespace(label)
  const lifecycles = [new EventTarget(), new EventTarget()] as const
  const a = await MeshLog.create({ namespace, heartbeatMs, pageLifecycle: lifecycles[0] })
  const b = await MeshLog.create({ namespace, heartbeatMs, pageLifecycle: lifecycles[1] })
  cleanups.push(async () => {
    await Promise.all([a.close(), b.close()])
    await deleteNamespace(namespace, 2)
  })
  const replicaSet = [a.peerId, b.peerId]
  await Promise.all([a.open('ctl', { replicaSet }), b.open('ctl', { replicaSet })])
  const leader = await untilOneLeader([a, b], 'ctl')
  const lifecycle = (log: MeshLog) => (log === a ? lifecycles[0] : lifecycles[1])
  return { a, b, leader, replica: leader === a ? b : a, lifecycle }
}

describe(`the worker's control loop, seen from the page in ${server.browser}`, () => {
  it('status().control is its snapshot (peers, channels, roles, inventory); status().sync the sync manager', async () => {
    const { leader, replica } = await twoTabs('ctl-status', 100)
    await leader.appendMany('ctl', [bytes('one'), bytes('two'), bytes('three')])
    await untilTail(replica, 'ctl', 3)
    // The snapshot follows the runtimes: same role and leader as the node reports.
    await expect
      .poll(
        async () => {
          const status = await replica.status()
          const node = status.channels.find((c) => c.channel === 'ctl')
          const view = status.control.channels.find((c) => c.channel === 'ctl')?.runtime
          return {
            agrees: view?.role === node?.role && view?.leader === node?.leader,
            linked: status.control.peers.find((p) => p.peer === leader.peerId)?.connected,
            logBytes: status.control.peers.find((p) => p.peer === replica.peerId)?.inventory
              ?.logBytes,
          }
        },
        { timeout: 10_000 },
      )
      .toEqual({ agrees: true, linked: true, logBytes: { ctl: 11 } })
    const status = await replica.status()
    expect(status.control.thisPeer).toBe(replica.peerId)
    expect(status.control.reconcileCount).toBeGreaterThan(0)
    expect(status.control.maintenance).toEqual({ phase: 'active' })
    const desired = status.control.channels.find((c) => c.channel === 'ctl')?.desired
    expect(desired?.openedLocally).toBe(true)
    expect([...(desired?.replicaSet ?? [])].sort()).toEqual([leader.peerId, replica.peerId].sort())
    // navigator.storage.estimate() from the worker, refreshed in the background.
    await expect
      .poll(async () => (await replica.status()).control.storage?.quotaBytes ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThan(0)
    expect(status.sync.state).toBe('running')
    expect(status.sync.health).toBeDefined()
    // The loop starts a sync session per running channel (the bridge runs it); the
    // session actor's counters show it in status().sync.
    await expect
      .poll(async () => (await replica.status()).sync.metrics?.sessions.processedTotal ?? 0, {
        timeout: 10_000,
      })
      .toBeGreaterThanOrEqual(1)
    const synced = await replica.status()
    expect(synced.sync.verification).toMatchObject({ totalRejected: 0 })
    expect(synced.control.recentlyEmitted.some((a) => a.kind === 'start-sync')).toBe(true)
    // The snapshot is immutable: the copy the page got is a plain picture, a new one per reconcile.
    const later = await replica.status()
    expect(later.control.reconcileCount).toBeGreaterThanOrEqual(status.control.reconcileCount)
  })

  it('the snapshot event brings each new picture to the page, at most every 250 ms', async () => {
    const { replica } = await twoTabs('ctl-event', 100)
    const seen: ControlSnapshot[] = []
    const off = replica.on('snapshot', (e) => seen.push(e.detail))
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(3)
    off()
    const counts = seen.map((s) => s.reconcileCount)
    expect([...counts].sort((x, y) => x - y)).toEqual(counts)
    expect(new Set(counts).size).toBe(counts.length)
    const ticks = seen.map((s) => s.lastTickAt ?? 0)
    for (let i = 1; i < ticks.length; i++) {
      expect((ticks[i] ?? 0) - (ticks[i - 1] ?? 0)).toBeGreaterThanOrEqual(250)
    }
    expect(seen.at(-1)?.thisPeer).toBe(replica.peerId)
  })

  it('pagehide hands leadership to the other tab: no heartbeat timeout, no election', async () => {
    const heartbeatMs = 1_000
    const { leader, replica, lifecycle } = await twoTabs('ctl-drain', heartbeatMs)
    await leader.appendMany('ctl', [bytes('before')])
    await untilTail(replica, 'ctl', 1)
    const before = (await replica.status()).channels[0]?.metrics.transitionsBySignal
    const promoted = nextEvent(
      replica,
      'role-changed',
      (e) => e.channel === 'ctl' && e.to === 'leader',
    )
    const started = performance.now()
    lifecycle(leader).dispatchEvent(new Event('pagehide'))
    await promoted
    const tookMs = performance.now() - started
    // A leader that just vanished costs a 3-heartbeat miss window (3 s) plus an election.
    expect(tookMs).toBeLessThan(1.5 * heartbeatMs)
    const metrics = (await replica.status()).channels[0]?.metrics
    expect(metrics?.transitionsBySignal['handoff-accepted']).toBe(1)
    expect(metrics?.transitionsBySignal['election-won']).toBe(before?.['election-won'])
    await expect
      .poll(async () => (await leader.status()).control.maintenance.phase, { timeout: 10_000 })
      .toBe('drained')
    const old = await leader.status()
    expect(old.channels[0]).toMatchObject({ role: 'replica', leader: replica.peerId })
    expect(old.channels[0]?.metrics.handoffsSentTotal).toBe(1)
    // The new leader writes on after the old one's entries.
    await expect(replica.append('ctl', bytes('after'))).resolves.toEqual({ seq: 1 })
    // A page restored from the back-forward cache stands again.
    const shown = new Event('pageshow')
    Object.defineProperty(shown, 'persisted', { value: true })
    lifecycle(leader).dispatchEvent(shown)
    await expect
      .poll(async () => (await leader.status()).control.maintenance.phase, { timeout: 10_000 })
      .toBe('active')
  })
})
