import { describe, expect, it } from 'vitest'
import { GENESIS_HASH } from '../log/entry.js'
import { loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, type PeerId, peerId, type Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { testLogWriter } from '../log/test-entries.js'
import { seededRng } from '../random/rng.js'
import { SimNetwork } from '../sim/sim-network.js'
import { ManualClock } from '../time/manual-clock.js'
import { WIRE_VERSION } from '../wire/wire-limits.js'
import { PeerNode } from './peer-node.js'

const CH = channelId('node-test')
const PEERS = [peerId('p1'), peerId('p2'), peerId('p3')]

async function cluster() {
  const clock = new ManualClock({ start: 1000 })
  const net = new SimNetwork({ clock, rng: seededRng(9), minLatencyMs: 1, maxLatencyMs: 3 })
  const hasher = await loadEntryHasher()
  const nodes = new Map<PeerId, PeerNode>()
  for (const [i, self] of PEERS.entries()) {
    const store = new MemoryLogStore({ hasher })
    await store.open()
    const node = new PeerNode({
      self,
      store,
      hasher,
      clock,
      rng: seededRng(100 + i),
      heartbeatMs: 100,
      sink: {
        send(peer, frame) {
          net.send(self, peer, frame)
          return 'queued'
        },
      },
    })
    net.attach(self, (from, bytes) => node.receive(from, bytes))
    nodes.set(self, node)
  }
  for (const node of nodes.values()) await node.open(CH, { replicaSet: PEERS })
  return { clock, net, nodes }
}

function leaderOf(nodes: Map<PeerId, PeerNode>): PeerNode | undefined {
  return [...nodes.values()].find((n) => n.runtime(CH)?.role === 'leader')
}

describe('PeerNode', () => {
  it('elects one leader among fresh replicas, and its appends reach every replica in order', async () => {
    const { clock, nodes } = await cluster()
    for (let i = 0; i < 20 && leaderOf(nodes) === undefined; i++) await clock.advanceAsync(100)
    const leader = leaderOf(nodes)
    expect(leader).toBeDefined()
    const advanced: string[] = []
    for (const node of nodes.values()) {
      node.on('log-advanced', (e) =>
        advanced.push(`${node.self}:${e.detail.fromSeq}-${e.detail.toSeq}`),
      )
    }
    const payloads = Array.from({ length: 10 }, (_, i) => Uint8Array.of(i))
    await leader?.append(CH, payloads.slice(0, 4))
    await leader?.append(CH, payloads.slice(4))
    for (let i = 0; i < 10; i++) await clock.advanceAsync(20)
    for (const node of nodes.values()) {
      const entries = await node.read(CH, 0 as Seq)
      expect(entries.map((e) => e.payload[0])).toEqual(payloads.map((p) => p[0]))
      expect(node.status().channels[0]).toMatchObject({ nextSeq: 10, leader: leader?.self })
    }
    expect(advanced.filter((a) => a.startsWith(`${leader?.self}:`))).toEqual([
      `${leader?.self}:0-4`,
      `${leader?.self}:4-10`,
    ])
    for (const node of nodes.values()) await node.stop()
  })

  it('counts malformed frames and frames for unknown channels, changing nothing', async () => {
    const { nodes } = await cluster()
    const node = nodes.get(PEERS[0] as PeerId) as PeerNode
    expect(node.receive(PEERS[1] as PeerId, Uint8Array.of(WIRE_VERSION, 99, 0))).toBe(false)
    expect(node.receive(PEERS[1] as PeerId, new Uint8Array(0))).toBe(false)
    expect(node.status().decodeRejects).toMatchObject({ 'unknown-kind': 1, empty: 1, total: 2 })
    expect(node.store.state(CH).nextSeq).toBe(0)
    for (const n of nodes.values()) await n.stop()
  })

  it('refuses a replica set without itself, and appends on a channel it has not opened', async () => {
    const { nodes } = await cluster()
    const node = nodes.get(PEERS[0] as PeerId) as PeerNode
    await expect(
      node.open(channelId('other'), { replicaSet: [peerId('x')] }),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    })
    await expect(node.append(channelId('nope'), [Uint8Array.of(1)])).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    })
    for (const n of nodes.values()) await n.stop()
  })
})

describe('PeerNode after a split brain', () => {
  // Found by the simulator (seed 1): the peer demoted by the dual-leader
  // tiebreak kept entries the winner never had and never converged.
  it('the demoted peer takes the winner log and tells readers to re-read', async () => {
    const clock = new ManualClock({ start: 1000 })
    const net = new SimNetwork({ clock, rng: seededRng(3), minLatencyMs: 1, maxLatencyMs: 2 })
    const hasher = await loadEntryHasher()
    const [a, b] = [peerId('a'), peerId('b')]
    const common = testLogWriter(hasher, CH, a, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
    const shared = common.next(3)
    const mine = testLogWriter(hasher, CH, a, common.tail).next(2)
    const theirs = testLogWriter(hasher, CH, b, common.tail).next(4)
    const nodes: PeerNode[] = []
    for (const [self, own] of [
      [a, mine],
      [b, theirs],
    ] as const) {
      const store = new MemoryLogStore()
      await store.open()
      await store.append(CH, [...shared, ...own])
      const node = new PeerNode({
        self,
        store,
        hasher,
        clock,
        rng: seededRng(self.length),
        heartbeatMs: 100,
        sink: {
          send(peer, frame) {
            net.send(self, peer, frame)
            return 'queued'
          },
        },
      })
      net.attach(self, (from, bytes) => node.receive(from, bytes))
      nodes.push(node)
    }
    const [nodeA, nodeB] = nodes as [PeerNode, PeerNode]
    const resets: number[] = []
    nodeA.on('log-reset', (e) => resets.push(e.detail.nextSeq))
    for (const node of nodes) await node.open(CH, { replicaSet: [a, b] })
    for (let i = 0; i < 20; i++) await clock.advanceAsync(50)
    expect(nodeB.runtime(CH)?.role).toBe('leader')
    expect(nodeA.runtime(CH)?.role).toBe('replica')
    const hashes = async (node: PeerNode) => (await node.read(CH, 0 as Seq)).map((e) => e.hash)
    expect(await hashes(nodeA)).toEqual(await hashes(nodeB))
    expect(resets.length).toBeGreaterThan(0)
    for (const node of nodes) await node.stop()
  })

  it("changes a replica set in place: same runtime, role kept, announced as the channel's set", async () => {
    const { clock, nodes } = await cluster()
    for (let i = 0; i < 20 && leaderOf(nodes) === undefined; i++) await clock.advanceAsync(100)
    const leader = leaderOf(nodes) as PeerNode
    const runtime = leader.runtime(CH)
    const announced: (readonly PeerId[])[] = []
    leader.on('channel-opened', (e) => announced.push(e.detail.replicaSet))
    const smaller = PEERS.filter(
      (p) => p === leader.self || p === PEERS.find((q) => q !== leader.self),
    )
    leader.setReplicaSet(CH, smaller)
    leader.setReplicaSet(CH, smaller)
    expect(leader.runtime(CH)).toBe(runtime)
    expect(leader.runtime(CH)?.role).toBe('leader')
    expect(leader.status().channels[0]?.replicaSet).toEqual(smaller)
    expect(announced).toEqual([smaller])
    expect(() => leader.setReplicaSet(channelId('never-opened'), smaller)).toThrow(/not open/)
  })
})
