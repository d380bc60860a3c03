import { beforeAll, describe, expect, it } from 'vitest'
import { AbortedError } from '../errors.js'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId, type Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { testLogWriter } from '../log/test-entries.js'
import { MemoryLogger } from '../logger.js'
import { ManualClock } from '../time/manual-clock.js'
import { ChannelMerkleIndex } from './channel-merkle-index.js'
import { MerkleLog } from './merkle-log.js'
import { MerkleVerifier } from './merkle-verifier.js'
import { ScriptedRunner } from './scripted-session-runner.js'
import type { SessionRunner } from './session-job.js'
import {
  LifecycleTransitionError,
  MailboxFullError,
  ShutdownFailedError,
  StartupFailedError,
  SyncNotStartedError,
} from './sync-errors.js'
import { SyncManager, type SyncManagerOptions } from './sync-manager.js'
import { SyncManagerConfig } from './sync-manager-config.js'
import { checkTransition, type SyncManagerState } from './sync-manager-state.js'

const CH: ChannelId = channelId('manager-chan')
const P1: PeerId = peerId('peer-1')
const P2: PeerId = peerId('peer-2')

let hasher: EntryHasher
beforeAll(async () => {
  hasher = await loadEntryHasher()
})

function setup(
  options: Partial<SyncManagerOptions> = {},
  runner: SessionRunner = new ScriptedRunner({ fallbackPeer: P1 }),
) {
  const clock = new ManualClock()
  const logger = new MemoryLogger()
  const manager = new SyncManager({
    clock,
    logger,
    runner,
    channels: () => [CH],
    config: SyncManagerConfig.forTesting(),
    ...options,
  })
  return { clock, logger, manager, settle: () => clock.advanceAsync(0) }
}

function chain(count: number): Entry[] {
  return testLogWriter(hasher, CH, peerId('author'), {
    nextSeq: 0 as Seq,
    lastHash: GENESIS_HASH,
  }).next(count)
}

async function verifierOver(entries: readonly Entry[]): Promise<MerkleVerifier> {
  const store = new MemoryLogStore({ hasher })
  await store.open()
  await store.append(CH, entries)
  return new MerkleVerifier(new ChannelMerkleIndex({ store, hasher }))
}

describe('seed 003: sync manager', () => {
  it('test_sync_manager_creation', () => {
    const { manager } = setup({ config: SyncManagerConfig.forTesting() })
    expect(manager.state).toBe('stopped')
    expect(manager.isRunning).toBe(false)
  })

  it('test_sync_manager_lifecycle', async () => {
    const { manager } = setup()
    await manager.start()
    expect(manager.isRunning).toBe(true)
    await manager.stop()
    expect(manager.isRunning).toBe(false)
  })

  it('test_sync_manager_concurrent_lifecycle_transitions_are_idempotent', async () => {
    let starts = 0
    let stops = 0
    const runner = new ScriptedRunner({
      fallbackPeer: P1,
      start: async () => {
        starts++
      },
      stop: async () => {
        stops++
      },
    })
    const { manager } = setup({}, runner)
    await expect(Promise.all([manager.start(), manager.start()])).resolves.toBeDefined()
    expect(manager.isRunning).toBe(true)
    await expect(Promise.all([manager.stop(), manager.stop()])).resolves.toBeDefined()
    expect(manager.isRunning).toBe(false)
    expect({ starts, stops }).toEqual({ starts: 1, stops: 1 })
  })

  it('test_sync_manager_stop_drains_owned_tasks', async () => {
    const { manager } = setup()
    await manager.start()
    const tasks = manager.ownedTasks
    expect(tasks, 'running sync service should own a task group').toBeDefined()
    expect(tasks?.activeTasks()).toContain('command-actor')
    await manager.stop()
    await expect(tasks?.waitForIdle(1_000)).resolves.toBeUndefined()
    expect(tasks?.activeTasks(), 'no owned task may outlive stop').toEqual([])
  })

  it('test_sync_manager_peer_management', async () => {
    const { manager } = setup({ config: SyncManagerConfig.defaults() })
    await manager.addPeer(P1)
    await manager.addPeer(P2)
    let peers = await manager.peers()
    expect(peers).toHaveLength(2)
    expect(peers).toContain(P1)
    expect(peers).toContain(P2)
    await manager.removePeer(P1)
    peers = await manager.peers()
    expect(peers).toHaveLength(1)
    expect(peers).not.toContain(P1)
    expect(peers).toContain(P2)
  })

  it('test_sync_manager_health_when_not_running', () => {
    const { manager } = setup({ config: SyncManagerConfig.defaults() })
    expect(manager.syncServiceHealth()).toBeUndefined()
  })

  it('test_sync_manager_health_when_running', async () => {
    const { manager } = setup()
    await manager.start()
    expect(manager.syncServiceHealth()).toBeDefined()
    await manager.stop()
  })

  it('test_sync_manager_without_merkle_verification', async () => {
    const { manager } = setup()
    expect(manager.hasMerkleVerification).toBe(false)
    expect(await manager.localMerkleRoot(CH)).toBeUndefined()
    expect(
      await manager.verifyEntries(CH, [], { size: 0, root: new Uint8Array(32) }),
    ).toBeUndefined()
    expect(manager.merkleVerifier).toBeUndefined()
  })

  it('test_sync_manager_with_merkle_verification', async () => {
    const entries = chain(42)
    const { manager } = setup({ merkleVerifier: await verifierOver(entries) })
    expect(manager.hasMerkleVerification).toBe(true)
    expect(manager.merkleVerifier).toBeDefined()
    const expected = new MerkleLog(
      hasher,
      entries.map((e) => e.hash),
    ).head()
    expect(await manager.localMerkleRoot(CH)).toEqual(expected)
  })

  it('test_sync_manager_verify_facts', async () => {
    const remote = chain(43)
    const { manager } = setup({ merkleVerifier: await verifierOver(remote.slice(0, 42)) })
    const claimed = new MerkleLog(
      hasher,
      remote.map((e) => e.hash),
    ).head()
    const result = await manager.verifyEntries(CH, remote.slice(42), claimed)
    expect(result).toBeDefined()
    // A new entry that extends our log to the claimed head is accepted for append.
    expect(result?.verified).toHaveLength(1)
    expect(result?.rejected).toEqual([])
  })
})

describe('config profiles come from the seed', () => {
  it('defaults, forTesting and manualOnly', () => {
    expect(SyncManagerConfig.defaults()).toEqual({
      autoSyncEnabled: true,
      autoSyncIntervalMs: 60_000,
      maxConcurrentSyncs: 5,
      initialPeers: [],
      maintenanceEnabled: true,
      maintenanceIntervalMs: 60_000,
      peerStateTtlMs: 6 * 3_600_000,
      maxPeerStates: 1024,
      // Not in the seed: how long a peer that failed verification is avoided.
      misbehaviourCooldownMs: 600_000,
    })
    expect(SyncManagerConfig.forTesting()).toMatchObject({
      autoSyncIntervalMs: 5_000,
      maxConcurrentSyncs: 3,
      maintenanceIntervalMs: 5_000,
      peerStateTtlMs: 60_000,
      maxPeerStates: 128,
    })
    expect(SyncManagerConfig.manualOnly()).toEqual({
      ...SyncManagerConfig.defaults(),
      autoSyncEnabled: false,
    })
  })

  it('rejects limits that are not positive integers; initial peers seed the peer list', async () => {
    expect(() =>
      setup({ config: { ...SyncManagerConfig.defaults(), maxConcurrentSyncs: 0 } }),
    ).toThrow(/maxConcurrentSyncs/)
    const { manager } = setup({ config: { ...SyncManagerConfig.defaults(), initialPeers: [P2] } })
    expect(await manager.peers()).toEqual([P2])
  })
})

describe('lifecycle transitions are explicit and serialized', () => {
  it('emits each transition; start queued behind a stop runs after it', async () => {
    const { manager } = setup()
    const seen: string[] = []
    manager.on('state-changed', (e) => seen.push(`${e.detail.from}>${e.detail.to}`))
    await manager.start()
    const stopping = manager.stop()
    const restarting = manager.start()
    await Promise.all([stopping, restarting])
    expect(manager.state).toBe('running')
    expect(seen).toEqual([
      'stopped>starting',
      'starting>running',
      'running>stopping',
      'stopping>stopped',
      'stopped>starting',
      'starting>running',
    ])
    await manager.stop()
  })

  it('a runner that fails to start leaves the manager failed and unhealthy; start retries', async () => {
    let fail = true
    const runner = new ScriptedRunner({
      fallbackPeer: P1,
      start: async () => {
        if (fail) throw new Error('no protocol handler')
      },
    })
    const { manager } = setup({}, runner)
    await expect(manager.start()).rejects.toBeInstanceOf(StartupFailedError)
    expect(manager.state).toBe('failed')
    expect(manager.health()).toEqual({
      status: 'unhealthy',
      reason: 'service entered failed lifecycle state',
    })
    fail = false
    await manager.start()
    expect(manager.state).toBe('running')
    await manager.stop()
  })

  it('a runner that fails to stop leaves the manager failed; stop again finishes', async () => {
    let fail = true
    const runner = new ScriptedRunner({
      fallbackPeer: P1,
      stop: async () => {
        if (fail) throw new Error('unregister failed')
      },
    })
    const { manager } = setup({}, runner)
    await manager.start()
    await expect(manager.stop()).rejects.toBeInstanceOf(ShutdownFailedError)
    expect(manager.state).toBe('failed')
    fail = false
    await manager.stop()
    expect(manager.state).toBe('stopped')
  })

  it('the transition table refuses jumps', () => {
    const bad: [SyncManagerState, SyncManagerState][] = [
      ['stopped', 'running'],
      ['running', 'starting'],
      ['stopping', 'running'],
    ]
    for (const [from, to] of bad) {
      expect(() => checkTransition(from, to)).toThrow(LifecycleTransitionError)
    }
  })
})

describe('stop drains owned work within 2 s, then aborts it', () => {
  it('a session that finishes within the drain completes; stop returns when it does', async () => {
    const runner = new ScriptedRunner({ fallbackPeer: P1 })
    const { clock, manager, settle } = setup({}, runner)
    await manager.start()
    const round = manager.syncWithPeers([P1])
    await settle()
    const stopped = manager.stop()
    await clock.advanceAsync(700)
    runner.runs[0]?.succeed()
    await stopped
    expect(clock.now()).toBe(700)
    await expect(round).resolves.toMatchObject({ sessions: 1, succeeded: 1, complete: true })
  })

  it('work that ignores its signal is aborted at 2 s and the abort is logged', async () => {
    const runner = new ScriptedRunner({ fallbackPeer: P1, honourSignal: false })
    const { clock, logger, manager, settle } = setup({}, runner)
    await manager.start()
    const round = manager.syncWithPeers([P1, P2])
    const roundSettled = round.then(
      (report) => ({ report }),
      (error: unknown) => ({ error }),
    )
    await settle()
    let stopped = false
    const stopping = manager.stop().then(() => {
      stopped = true
    })
    await clock.advanceAsync(1_999)
    expect(stopped).toBe(false)
    expect(manager.state).toBe('stopping')
    await clock.advanceAsync(1)
    await stopping
    expect(manager.state).toBe('stopped')
    const settled = await roundSettled
    // The actor aborts the session first; the round then sees its result and stops early.
    expect(settled).toMatchObject({ report: { sessions: 1, failed: 1, complete: false } })
    const aborted = 'report' in settled ? settled.report.results[0] : undefined
    expect(aborted?.status === 'error' && aborted.error).toBeInstanceOf(AbortedError)
    expect(runner.runs).toHaveLength(1)
    expect(
      logger.withMessage('sync service stop force-aborted owned background tasks'),
    ).toHaveLength(1)
    expect(clock.pendingTimers()).toBe(0)
  })
})

describe('peer commands go through a bounded mailbox (64)', () => {
  it('refuses the 65th command queued in one burst and counts it; accepted ones settle', async () => {
    const { manager } = setup()
    await manager.start()
    const adds = Array.from({ length: 65 }, (_, i) =>
      manager.addPeer(peerId(`burst-${i}`)).then(
        () => 'ok',
        (error: unknown) => error,
      ),
    )
    const outcomes = await Promise.all(adds)
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(64)
    expect(outcomes[64]).toBeInstanceOf(MailboxFullError)
    expect(manager.metrics()?.commandDrops).toEqual({ mailboxFull: 1, actorClosed: 0, total: 1 })
    expect(await manager.peers()).toHaveLength(64)
    await manager.stop()
  })

  it('peers added while stopped, or while running, survive a restart', async () => {
    const { manager } = setup()
    await manager.addPeer(P1)
    await manager.start()
    await manager.addPeer(P2)
    await manager.stop()
    expect(await manager.peers()).toEqual([P1, P2])
    await manager.start()
    expect(await manager.snapshot()).toEqual({ status: 'running', peers: [P1, P2] })
    await manager.stop()
  })
})

describe('sync operations need a running manager', () => {
  it('syncWithPeers and requestSync reject with SyncNotStartedError; inbound is refused and counted', async () => {
    const { manager } = setup()
    await expect(manager.syncWithPeers([P1])).rejects.toBeInstanceOf(SyncNotStartedError)
    await expect(manager.requestSync(CH)).rejects.toBeInstanceOf(SyncNotStartedError)
    expect(manager.acceptInbound(P1, {})).toEqual({ status: 'actor-closed' })
    await manager.start()
    expect(manager.metrics()?.sessions.dropped.actorClosed).toBe(1)
    await manager.stop()
  })
})
