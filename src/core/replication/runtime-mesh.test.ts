/**
 * End to end: several runtimes over an in-memory network that delivers
 * every frame, sharing one ManualClock. Pins that the pieces compose: a
 * replica catches up from leader appends before any heartbeat tick, and a
 * replica set with no leader elects one and converges on it.
 */
import { toString as hex } from 'uint8arrays/to-string'
import { describe, expect, it } from 'vitest'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import type { PeerId, Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import { ReplicationCoordinator } from './coordinator.js'
import type { PeerInbound } from './inbound.js'
import type { ReplicaRole } from './messages.js'
import { RecordingDispatcher } from './recording-dispatcher.js'
import { type ReplicationRuntime, startReplicationRuntime } from './replication-runtime.js'
import { CHANNEL, N10, N20, N30, promote } from './replication-test-kit.js'

interface Peer {
  readonly id: PeerId
  readonly store: MemoryLogStore
  readonly runtime: ReplicationRuntime
}

async function mesh(
  roles: ReadonlyArray<readonly [PeerId, ReplicaRole]>,
  heartbeatMs: number,
  chunkMax = 0,
): Promise<{ clock: ManualClock; peers: Map<PeerId, Peer>; hasher: EntryHasher }> {
  const clock = new ManualClock({ start: 1_000 })
  const hasher = await loadEntryHasher()
  const peers = new Map<PeerId, Peer>()
  const replicaSet = roles.map(([id]) => id)
  for (const [index, [id, role]] of roles.entries()) {
    const store = new MemoryLogStore({ hasher })
    await store.open()
    const coordinator = new ReplicationCoordinator({ channel: CHANNEL, clock })
    await promote(coordinator, role)
    const dispatcher = new RecordingDispatcher()
    dispatcher.onSent = (kind, target, message) => {
      peers.get(target)?.runtime.tryDispatch({ kind, from: id, message } as PeerInbound)
    }
    const runtime = startReplicationRuntime({
      channel: CHANNEL,
      self: id,
      replicaSet,
      heartbeatMs,
      clock,
      rng: seededRng(index + 1),
      rttLookup: () => 5,
      hasher,
      store,
      dispatcher,
      coordinator,
      chunkMax,
    })
    peers.set(id, { id, store, runtime })
  }
  return { clock, peers, hasher }
}

function peer(peers: Map<PeerId, Peer>, id: PeerId): Peer {
  const found = peers.get(id)
  if (found === undefined) throw new Error(`no peer ${id}`)
  return found
}

async function hashes(p: Peer): Promise<string[]> {
  const entries = await p.store.read(CHANNEL, 0 as Seq)
  return entries.map((e) => hex(e.hash, 'hex'))
}

describe('a replica catches up from leader appends before the next heartbeat', () => {
  it('pulls every chunk on tail notices alone', async () => {
    const { clock, peers } = await mesh(
      [
        [N10, 'leader'],
        [N20, 'replica'],
      ],
      1_000,
      1_024, // 64 entries of 16 bytes per chunk: several pulls
    )
    const leader = peer(peers, N10)
    const replica = peer(peers, N20)
    for (let batch = 0; batch < 3; batch++) {
      const payloads = Array.from({ length: 100 }, (_, i) => new Uint8Array(16).fill(batch + i))
      await leader.runtime.append(payloads)
    }
    await clock.advanceAsync(200) // no heartbeat tick yet (first at 1 000 ms)
    // The replica never ticked: it sends heartbeats only on ticks.
    expect(replica.runtime.metrics().heartbeatsSentTotal).toBe(0)
    expect(replica.store.state(CHANNEL).nextSeq).toBe(300)
    expect(await hashes(replica)).toEqual(await hashes(leader))
    expect(replica.runtime.metrics().syncResponsesAppliedTotal).toBeGreaterThanOrEqual(5)
    for (const p of peers.values()) await p.runtime.cancel()
  })
})

describe('a replica set without a leader elects one and converges', () => {
  it('ends with one leader followed by the others, which then replicate its writes', async () => {
    const { clock, peers } = await mesh(
      [
        [N10, 'replica'],
        [N20, 'replica'],
        [N30, 'replica'],
      ],
      100,
    )
    await clock.advanceAsync(2_000)
    const roles = [...peers.values()].map((p) => p.runtime.role)
    expect(roles).toEqual(['leader', 'replica', 'replica'])
    expect(peer(peers, N20).runtime.believedLeader).toBe(N10)
    expect(peer(peers, N30).runtime.believedLeader).toBe(N10)

    await peer(peers, N10).runtime.append([new Uint8Array([7]), new Uint8Array([8])])
    await clock.advanceAsync(100)
    const leaderHashes = await hashes(peer(peers, N10))
    expect(leaderHashes).toHaveLength(2)
    expect(await hashes(peer(peers, N20))).toEqual(leaderHashes)
    expect(await hashes(peer(peers, N30))).toEqual(leaderHashes)
    for (const p of peers.values()) await p.runtime.cancel()
  })
})
