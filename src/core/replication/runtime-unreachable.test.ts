/**
 * Beyond the seed: the transport's word that a link closed. A replica whose
 * leader's link closes fails over at once, not after the miss window; and a
 * replica set can change in place without an election.
 */
import { describe, expect, it } from 'vitest'
import { loadEntryHasher } from '../log/entry-hasher.js'
import type { PeerId } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import { ReplicationCoordinator } from './coordinator.js'
import type { PeerInbound } from './inbound.js'
import { RecordingDispatcher } from './recording-dispatcher.js'
import { type ReplicationRuntime, startReplicationRuntime } from './replication-runtime.js'
import { CHANNEL, N10, N20, N30, N99, promote } from './replication-test-kit.js'

const HEARTBEAT_MS = 100

/** Three runtimes over a wire that delivers every frame except to or from a `cut` peer. */
async function trio() {
  const clock = new ManualClock({ start: 1_000 })
  const hasher = await loadEntryHasher()
  const cut = new Set<PeerId>()
  const runtimes = new Map<PeerId, ReplicationRuntime>()
  const replicaSet = [N10, N20, N30]
  for (const [index, id] of replicaSet.entries()) {
    const store = new MemoryLogStore({ hasher })
    await store.open()
    const coordinator = new ReplicationCoordinator({ channel: CHANNEL, clock })
    await promote(coordinator, id === N10 ? 'leader' : 'replica')
    const dispatcher = new RecordingDispatcher()
    dispatcher.onSent = (kind, target, message) => {
      if (cut.has(id) || cut.has(target)) return
      runtimes.get(target)?.tryDispatch({ kind, from: id, message } as PeerInbound)
    }
    const runtime = startReplicationRuntime({
      channel: CHANNEL,
      self: id,
      replicaSet,
      heartbeatMs: HEARTBEAT_MS,
      clock,
      rng: seededRng(index + 1),
      rttLookup: () => 5,
      hasher,
      store,
      dispatcher,
      coordinator,
    })
    runtimes.set(id, runtime)
  }
  const get = (id: PeerId): ReplicationRuntime => {
    const runtime = runtimes.get(id)
    if (runtime === undefined) throw new Error(`no runtime ${id}`)
    return runtime
  }
  const stop = () => Promise.all([...runtimes.values()].map((r) => r.cancel()))
  return { clock, cut, get, stop }
}

describe('a closed link makes the peer unreachable at once', () => {
  it('fails over within the same instant when the leader link closes, not after the miss window', async () => {
    const { clock, cut, get, stop } = await trio()
    await clock.advanceAsync(3 * HEARTBEAT_MS)
    expect(get(N20).believedLeader).toBe(N10)
    expect(get(N30).believedLeader).toBe(N10)

    cut.add(N10)
    get(N20).peerUnreachable(N10)
    get(N30).peerUnreachable(N10)
    await clock.advanceAsync(0)
    // Both replicas elected at once; without the link news they would wait 3 heartbeats.
    expect(get(N20).role).toBe('leader')
    expect(get(N30).role).toBe('leader')
    expect(get(N20).metrics().leaderLinkLostTotal).toBe(1)
    // The dual-leader tiebreak settles within a heartbeat: the smaller id keeps leading.
    await clock.advanceAsync(HEARTBEAT_MS)
    expect(get(N20).role).toBe('leader')
    expect(get(N30).role).toBe('replica')
    await clock.advanceAsync(HEARTBEAT_MS)
    expect(get(N30).believedLeader).toBe(N20)
    await stop()
  })

  it('without the link news a replica waits out the miss window', async () => {
    const { clock, cut, get, stop } = await trio()
    await clock.advanceAsync(3 * HEARTBEAT_MS)
    cut.add(N10)
    await clock.advanceAsync(2 * HEARTBEAT_MS)
    expect(get(N20).role).toBe('replica')
    await clock.advanceAsync(2 * HEARTBEAT_MS)
    expect(get(N20).role).not.toBe('replica')
    expect(get(N20).metrics().leaderLinkLostTotal).toBe(0)
    await stop()
  })

  it('a replica that loses another replica keeps following its leader', async () => {
    const { clock, cut, get, stop } = await trio()
    await clock.advanceAsync(3 * HEARTBEAT_MS)
    cut.add(N30)
    get(N20).peerUnreachable(N30)
    get(N10).peerUnreachable(N30)
    await clock.advanceAsync(0)
    expect(get(N20).role).toBe('replica')
    expect(get(N20).believedLeader).toBe(N10)
    expect(get(N10).role).toBe('leader')
    expect(get(N20).metrics().peersUnreachableTotal).toBe(1)
    expect(get(N20).metrics().leaderLinkLostTotal).toBe(0)
    await stop()
  })

  it('ignores peers outside the replica set', async () => {
    const { clock, get, stop } = await trio()
    await clock.advanceAsync(3 * HEARTBEAT_MS)
    get(N20).peerUnreachable(N99)
    await clock.advanceAsync(0)
    expect(get(N20).metrics().peersUnreachableTotal).toBe(0)
    expect(get(N20).believedLeader).toBe(N10)
    await stop()
  })
})

describe('the replica set changes in place', () => {
  it('keeps role and leader, and drops frames from a removed member', async () => {
    const { clock, get, stop } = await trio()
    await clock.advanceAsync(3 * HEARTBEAT_MS)
    const leaderChanges = get(N20).metrics().leaderChangesTotal
    get(N20).setReplicaSet([N10, N20])
    get(N10).setReplicaSet([N10, N20])
    await clock.advanceAsync(3 * HEARTBEAT_MS)
    expect(get(N10).role).toBe('leader')
    expect(get(N20).role).toBe('replica')
    expect(get(N20).believedLeader).toBe(N10)
    expect(get(N20).metrics().leaderChangesTotal).toBe(leaderChanges)
    // N30 still heartbeats both; they now count it as an outsider.
    expect(get(N20).metrics().drops['not-in-replica-set']).toBeGreaterThan(0)
    expect(get(N30).metrics().drops['not-in-replica-set']).toBe(0)
    await stop()
  })

  it('refuses a set without this peer', async () => {
    const { get, stop } = await trio()
    expect(() => get(N20).setReplicaSet([N10, N30])).toThrow(/must include this peer/)
    await stop()
  })
})
