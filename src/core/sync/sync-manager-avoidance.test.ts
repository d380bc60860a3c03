import { describe, expect, it } from 'vitest'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { ManualClock } from '../time/manual-clock.js'
import { PeerSyncStates } from './peer-sync-states.js'
import {
  ChunkRejectedError,
  NoSyncPeerError,
  ProofRejectedError,
  SyncRequestTimeoutError,
} from './protocol/protocol-errors.js'
import type { SessionJob, SessionOutcome, SessionRunner } from './session-job.js'
import { SyncManager } from './sync-manager.js'
import { SyncManagerConfig } from './sync-manager-config.js'

const CH: ChannelId = channelId('avoid-chan')
const [P1, P2, P3] = [1, 2, 3].map((i) => peerId(`peer-${i}`)) as [PeerId, PeerId, PeerId]
const COOLDOWN = 60_000

/** Fails sessions with the peers in `errors` with that error; the rest succeed. */
class FailingRunner implements SessionRunner {
  readonly jobs: SessionJob[] = []
  constructor(
    readonly errors: Map<PeerId, Error>,
    readonly chosen: PeerId = P3,
  ) {}
  async run(job: SessionJob): Promise<SessionOutcome> {
    this.jobs.push(job)
    await Promise.resolve()
    const peer = job.peer ?? this.chosen
    const error = this.errors.get(peer)
    if (error !== undefined) throw error
    return { peer, entriesReceived: 0, entriesSent: 0 }
  }
}

function setup(runner: SessionRunner) {
  const clock = new ManualClock()
  const manager = new SyncManager({
    clock,
    runner,
    channels: () => [CH],
    config: { ...SyncManagerConfig.forTesting(), autoSyncEnabled: false },
  })
  return { clock, manager }
}

describe('a peer whose data fails verification is marked and avoided for a cool-down', () => {
  it('a rejected chunk or proof marks the peer; rounds skip it until the cool-down ends', async () => {
    const runner = new FailingRunner(
      new Map<PeerId, Error>([
        [P1, new ChunkRejectedError('bad chunk', P1, { details: { reason: 'root-mismatch' } })],
        [P2, new ProofRejectedError('bad proof', P2)],
      ]),
    )
    const { clock, manager } = setup(runner)
    await manager.start()
    const first = await manager.syncWithPeers([P1, P2, P3])
    expect(first).toMatchObject({ sessions: 3, failed: 2, succeeded: 1, avoided: 0 })
    expect(manager.isPeerAvoided(P1)).toBe(true)
    expect(manager.isPeerAvoided(P2)).toBe(true)
    expect(manager.isPeerAvoided(P3)).toBe(false)
    const states = manager.peerSyncStates() ?? []
    expect(states.find((s) => s.peer === P1)).toMatchObject({
      failures: 1,
      lastErrorCode: 'ERR_SYNC_CHUNK_REJECTED',
      avoidedUntil: COOLDOWN,
    })

    runner.jobs.length = 0
    const second = await manager.syncWithPeers([P1, P2, P3])
    expect(second).toMatchObject({ sessions: 1, avoided: 2 })
    expect(runner.jobs.map((j) => j.peer)).toEqual([P3])

    await clock.advanceAsync(COOLDOWN)
    expect(manager.isPeerAvoided(P1)).toBe(false)
    runner.jobs.length = 0
    await manager.syncWithPeers([P1])
    expect(runner.jobs.map((j) => j.peer)).toEqual([P1])
    await manager.stop()
  })

  it('a timeout or refusal counts as a failure but does not mark the peer', async () => {
    const runner = new FailingRunner(new Map([[P1, new SyncRequestTimeoutError('no answer', P1)]]))
    const { manager } = setup(runner)
    await manager.start()
    await manager.syncWithPeers([P1])
    expect(manager.isPeerAvoided(P1)).toBe(false)
    expect(manager.peerSyncStates()?.[0]).toMatchObject({ peer: P1, failures: 1 })
    await manager.stop()
  })

  it('the peer a runner chose itself is taken from its error, so it is marked too', async () => {
    const runner = new FailingRunner(new Map([[P3, new ChunkRejectedError('bad chunk', P3)]]), P3)
    const { manager } = setup(runner)
    await manager.start()
    const result = await manager.requestSync(CH)
    expect(result).toMatchObject({ status: 'error', peer: P3 })
    expect(manager.isPeerAvoided(P3)).toBe(true)
    await manager.stop()
  })

  it('local failures (no peer to sync with) blame nobody', async () => {
    const runner: SessionRunner = {
      run: async () => {
        throw new NoSyncPeerError('none')
      },
    }
    const { manager } = setup(runner)
    await manager.start()
    await manager.syncWithPeers([P1])
    expect(manager.peerSyncStates()).toEqual([])
    await manager.stop()
  })

  it('marking extends, never shortens, an avoidance; automatic rounds leave avoided peers out', () => {
    const states = new PeerSyncStates(8)
    states.avoid(P1, 0, 500, 'ERR_SYNC_CHUNK_REJECTED')
    states.avoid(P1, 10, 100, 'ERR_SYNC_CHUNK_REJECTED')
    expect(states.get(P1)?.avoidedUntil).toBe(500)
    expect(states.isAvoided(P1, 499)).toBe(true)
    expect(states.isAvoided(P1, 500)).toBe(false)
    states.record(P2, 'ok', 20)
    expect(states.leastRecentlySeen([P1, P2, P3], 5, 100)).toEqual([P3, P2])
    expect(states.leastRecentlySeen([P1, P2, P3], 5, 600)).toEqual([P3, P1, P2])
  })
})
