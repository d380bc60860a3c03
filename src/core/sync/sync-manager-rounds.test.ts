import { describe, expect, it } from 'vitest'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { ManualClock } from '../time/manual-clock.js'
import { PeerSyncStates } from './peer-sync-states.js'
import { ScriptedRunner } from './scripted-session-runner.js'
import type { SessionJob, SessionOutcome, SessionRunner, SyncSessionResult } from './session-job.js'
import { ChannelBusyError } from './sync-errors.js'
import { type SyncServiceHealth, syncManagerHealth, syncServiceStatus } from './sync-health.js'
import { SyncManager, type SyncManagerOptions } from './sync-manager.js'
import { SyncManagerConfig } from './sync-manager-config.js'

const CHANNELS: ChannelId[] = ['a', 'b', 'c', 'd', 'e'].map((c) => channelId(`chan-${c}`))
const [A, B] = CHANNELS as [ChannelId, ChannelId]
const PEERS: PeerId[] = [1, 2, 3, 4].map((i) => peerId(`peer-${i}`))
const [P1, P2, P3, P4] = PEERS as [PeerId, PeerId, PeerId, PeerId]

/** Completes every session on the next microtask; fails those with `failing` peers. */
class InstantRunner implements SessionRunner {
  readonly jobs: SessionJob[] = []
  constructor(readonly failing: ReadonlySet<PeerId> = new Set()) {}
  async run(job: SessionJob): Promise<SessionOutcome> {
    this.jobs.push(job)
    await Promise.resolve()
    if (job.peer !== undefined && this.failing.has(job.peer)) throw new Error('peer refused')
    return { peer: job.peer ?? P1, entriesReceived: 1, entriesSent: 0 }
  }
}

function setup(
  runner: SessionRunner,
  config: Partial<SyncManagerConfig> = {},
  options: Partial<SyncManagerOptions> = {},
) {
  const clock = new ManualClock()
  const manager = new SyncManager({
    clock,
    runner,
    channels: () => CHANNELS,
    config: { ...SyncManagerConfig.forTesting(), ...config },
    ...options,
  })
  return { clock, manager, settle: () => clock.advanceAsync(0) }
}

const initiatorPeers = (jobs: readonly SessionJob[]) =>
  jobs.map((j) => (j.kind === 'initiator' ? j.peer : undefined))

describe('syncWithPeers visits every channel and peer, channels in parallel', () => {
  it('never runs more than maxConcurrentSyncs channels at once; peers in order per channel', async () => {
    const runner = new ScriptedRunner({ fallbackPeer: P1 })
    const { manager, settle } = setup(runner, { autoSyncEnabled: false })
    await manager.start()
    const round = manager.syncWithPeers([P1, P2])
    await settle()
    let peak = 0
    while (runner.pending().length > 0) {
      peak = Math.max(peak, runner.pending().length)
      for (const run of runner.pending()) run.succeed()
      await settle()
    }
    expect(peak).toBe(3)
    const report = await round
    expect(report).toMatchObject({ channels: 5, sessions: 10, succeeded: 10, complete: true })
    for (const channel of CHANNELS) {
      const peers = runner.runs.filter(
        (r) => r.job.kind === 'initiator' && r.job.channel === channel,
      )
      expect(initiatorPeers(peers.map((r) => r.job))).toEqual([P1, P2])
    }
    await manager.stop()
  })

  it('reports failures and records what happened with each peer', async () => {
    const { manager, settle } = setup(new InstantRunner(new Set([P1])), { autoSyncEnabled: false })
    await manager.start()
    const report = await manager.syncWithPeers([P1, P2], { channels: [A, B] })
    await settle()
    expect(report).toMatchObject({ sessions: 4, succeeded: 2, failed: 2, refused: 0 })
    const states = manager.peerSyncStates() ?? []
    expect(states.map((s) => [s.peer, s.successes, s.failures, s.lastErrorCode])).toEqual([
      [P1, 0, 2, 'ERR_SESSION_FAILED'],
      [P2, 2, 0, undefined],
    ])
    await manager.stop()
  })
})

describe('automatic sync rounds', () => {
  it('run every interval, visiting unseen peers first, then the least recently seen', async () => {
    const runner = new InstantRunner()
    const { clock, manager } = setup(runner)
    for (const peer of PEERS) await manager.addPeer(peer)
    await manager.start()
    await clock.advanceAsync(4_999)
    expect(runner.jobs).toHaveLength(0)
    await clock.advanceAsync(1)
    const first = new Set(initiatorPeers(runner.jobs))
    expect(first).toEqual(new Set([P1, P2, P3]))
    runner.jobs.length = 0
    await clock.advanceAsync(5_000)
    expect(new Set(initiatorPeers(runner.jobs))).toEqual(new Set([P4, P1, P2]))
    expect(manager.metrics()?.roundsStarted).toBe(2)
    await manager.stop()
  })

  it('a round still running when the next is due is skipped and counted', async () => {
    const runner = new ScriptedRunner({ fallbackPeer: P1 })
    const { clock, manager } = setup(runner)
    await manager.addPeer(P1)
    await manager.start()
    await clock.advanceAsync(5_000)
    expect(runner.pending()).toHaveLength(3)
    await clock.advanceAsync(5_000)
    expect(manager.metrics()).toMatchObject({ roundsStarted: 1, roundsSkipped: 1 })
    const stopped = manager.stop()
    await clock.advanceAsync(2_000)
    await stopped
  })

  it('manualOnly never syncs by itself', async () => {
    const runner = new InstantRunner()
    const { clock, manager } = setup(runner, SyncManagerConfig.manualOnly())
    await manager.addPeer(P1)
    await manager.start()
    await clock.advanceAsync(10 * 60_000)
    expect(runner.jobs).toHaveLength(0)
    await manager.stop()
  })
})

describe('maintenance prunes peer states by TTL and cap', () => {
  it('a state older than the TTL goes at the next maintenance run', async () => {
    const { clock, manager } = setup(new InstantRunner(), { autoSyncEnabled: false })
    await manager.start()
    await manager.syncWithPeers([P1], { channels: [A] })
    await clock.advanceAsync(60_000)
    expect(manager.peerSyncStates()).toHaveLength(1)
    await clock.advanceAsync(5_000)
    expect(manager.peerSyncStates()).toEqual([])
    expect(manager.metrics()?.peerStates).toEqual({
      tracked: 0,
      pruned: { ttl: 1, cap: 0, total: 1 },
    })
    expect(manager.metrics()?.maintenanceRuns).toBe(13)
    await manager.stop()
  })

  it('no maintenance timer when maintenance is off', async () => {
    const { clock, manager } = setup(new InstantRunner(), {
      autoSyncEnabled: false,
      maintenanceEnabled: false,
    })
    await manager.start()
    // Only the session actor's summary timer.
    expect(clock.pendingTimers()).toBe(1)
    await manager.stop()
  })

  it('the cap holds on every insert and at maintenance, oldest first, counted', () => {
    const states = new PeerSyncStates(3)
    PEERS.forEach((peer, i) => {
      states.record(peer, 'ok', i)
    })
    expect(states.list().map((s) => s.peer)).toEqual([P2, P3, P4])
    states.record(P2, 'timeout', 10, 'ERR_TIMEOUT')
    expect(states.prune(10, 1_000, 2)).toEqual({ ttl: 0, cap: 1 })
    expect(states.list().map((s) => s.peer)).toEqual([P4, P2])
    expect(states.prune(1_005, 1_000, 2)).toEqual({ ttl: 1, cap: 0 })
    expect(states.get(P2)).toMatchObject({
      successes: 1,
      failures: 1,
      lastErrorCode: 'ERR_TIMEOUT',
    })
    expect(states.pruned()).toEqual({ ttl: 1, cap: 2, total: 3 })
  })
})

describe('health follows the seed mapping', () => {
  const service = (status: SyncServiceHealth['status']): SyncServiceHealth => ({
    status,
    activeSessions: 2,
    waitingSessions: 1,
    trackedPeers: 0,
    availablePeers: 0,
    lastSyncAt: undefined,
    uptimeMs: 0,
  })

  it('maps manager state and service status', () => {
    expect(syncManagerHealth('stopped', undefined)).toEqual({ status: 'stopped' })
    expect(syncManagerHealth('starting', undefined)).toEqual({ status: 'starting' })
    expect(syncManagerHealth('stopping', undefined)).toEqual({ status: 'stopping' })
    expect(syncManagerHealth('failed', undefined).status).toBe('unhealthy')
    expect(syncManagerHealth('running', undefined)).toEqual({
      status: 'unhealthy',
      reason: 'underlying service not available',
    })
    expect(syncManagerHealth('running', service('healthy'))).toEqual({ status: 'healthy' })
    expect(syncManagerHealth('running', service('degraded'))).toEqual({
      status: 'degraded',
      reason: 'status=degraded, activeSessions=2',
    })
    expect(syncManagerHealth('running', service('starting')).status).toBe('degraded')
    expect(syncManagerHealth('running', service('stopping'))).toEqual({
      status: 'unhealthy',
      reason: 'status=stopping',
    })
    expect(syncManagerHealth('running', service('unhealthy')).status).toBe('unhealthy')
    expect(syncServiceStatus('running', 0)).toBe('healthy')
    expect(syncServiceStatus('running', 1)).toBe('degraded')
    expect(syncServiceStatus('idle', 0)).toBe('starting')
    expect(syncServiceStatus('stopped', 0)).toBe('unhealthy')
  })

  it('a running manager is degraded while sessions wait for a slot', async () => {
    const runner = new ScriptedRunner({ fallbackPeer: P1 })
    const { manager, settle } = setup(
      runner,
      { autoSyncEnabled: false },
      { sessions: { maxConcurrent: 1 } },
    )
    await manager.start()
    expect(manager.health()).toEqual({ status: 'healthy' })
    void manager.requestSync(A, P1)
    void manager.requestSync(B, P1)
    await settle()
    expect(manager.health()).toEqual({
      status: 'degraded',
      reason: 'status=degraded, activeSessions=1',
    })
    runner.pending()[0]?.succeed()
    await settle()
    runner.pending()[0]?.succeed()
    await settle()
    expect(manager.health()).toEqual({ status: 'healthy' })
    await manager.stop()
  })
})

describe('metrics and results', () => {
  it('counts outcomes, latency and last sync; undefined while stopped', async () => {
    const runner = new ScriptedRunner({ fallbackPeer: P1 })
    const { clock, manager, settle } = setup(
      runner,
      { autoSyncEnabled: false },
      { sessions: { sessionDeadlineMs: 1_000 } },
    )
    expect(manager.metrics()).toBeUndefined()
    await manager.start()
    const results: SyncSessionResult[] = []
    manager.on('session-result', (e) => results.push(e.detail))
    const ok = manager.requestSync(A, P1)
    const timedOut = manager.requestSync(B, P2)
    await clock.advanceAsync(250)
    runner.pending()[0]?.succeed()
    await settle()
    await clock.advanceAsync(750)
    await expect(ok).resolves.toMatchObject({ status: 'ok', tookMs: 250 })
    await expect(timedOut).resolves.toMatchObject({ status: 'timeout', tookMs: 1_000 })
    expect(results.map((r) => r.status)).toEqual(['ok', 'timeout'])
    expect(manager.metrics()).toMatchObject({
      sessionsSucceeded: 1,
      sessionsTimedOut: 1,
      sessionsFailed: 0,
      avgLatencyMs: 250,
      lastSyncAt: 250,
      lastOperationAt: 1_000,
      sessions: { processedTotal: 1, timeoutTotal: 1 },
    })
    await manager.stop()
  })

  it('a second request for a busy channel resolves with ChannelBusyError, not a hang', async () => {
    const runner = new ScriptedRunner({ fallbackPeer: P1 })
    const { manager, settle } = setup(runner, { autoSyncEnabled: false })
    await manager.start()
    const first = manager.requestSync(A, P1)
    const second = manager.requestSync(A, P2)
    await settle()
    const busy = await second
    expect(busy.status === 'error' && busy.error).toBeInstanceOf(ChannelBusyError)
    // A busy channel says nothing about the peer.
    expect(manager.peerSyncStates()).toEqual([])
    runner.pending()[0]?.succeed()
    await expect(first).resolves.toMatchObject({ status: 'ok', peer: P1 })
    await manager.stop()
  })

  it('inbound sessions run as responder jobs and are not gated per channel', async () => {
    const runner = new ScriptedRunner({ fallbackPeer: P1 })
    const { manager, settle } = setup(runner, { autoSyncEnabled: false })
    await manager.start()
    expect(manager.acceptInbound(P2, { stream: 1 }).status).toBe('queued')
    expect(manager.acceptInbound(P2, { stream: 2 }).status).toBe('queued')
    await settle()
    expect(runner.pending().map((r) => r.job)).toEqual([
      { kind: 'responder', peer: P2, inbound: { stream: 1 } },
      { kind: 'responder', peer: P2, inbound: { stream: 2 } },
    ])
    for (const run of runner.pending()) run.succeed()
    await manager.stop()
    expect(manager.metrics()).toBeUndefined()
  })
})
