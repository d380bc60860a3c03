/**
 * Each checker catches the violation it is there for, on hand-built
 * states (fake peers, stores written directly), and accepts the state
 * next to it that is fine.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { sealEntries } from '../log/entry-chain.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId, type Seq } from '../log/ids.js'
import { MemoryLogBacking, MemoryLogStore } from '../log/memory-log-store.js'
import { seededRng } from '../random/rng.js'
import type { ReplicaRole } from '../replication/messages.js'
import { checkAcked } from './check-acked.js'
import { BoundsChecker, type BoundsSeen } from './check-bounds.js'
import { ConvergenceChecker } from './check-convergence.js'
import { dualLeaderGraceMs, LeaderChecker } from './check-leaders.js'
import { LogChecker } from './check-logs.js'
import { PayloadCatalog, payloadId } from './payload-catalog.js'
import { NO_FAULTS } from './sim-network.js'
import type { SimChannelPlan } from './sim-scenario.js'

const CH = channelId('check-test')
const [A, B, C] = [peerId('a'), peerId('b'), peerId('c')]
const PLAN: SimChannelPlan = { channel: CH, replicaSet: [A, B, C], diskPressurePolicy: 'withdraw' }
let hasher: EntryHasher

beforeAll(async () => {
  hasher = await loadEntryHasher()
})

class FakePeer {
  readonly backing = new MemoryLogBacking()
  readonly channels = [PLAN]
  roles = new Map<ChannelId, ReplicaRole | undefined>()
  leader: PeerId | undefined
  heard: number | undefined = 0
  constructor(readonly id: PeerId) {}
  role(channel: ChannelId) {
    return this.roles.get(channel)
  }
  follows() {
    return this.leader
  }
  heardAt() {
    return this.heard
  }
  outboxSize(channel: ChannelId) {
    return this.backing.outboxes.get(channel)?.size ?? 0
  }
}

async function logs() {
  const peers = [new FakePeer(A), new FakePeer(B)]
  const catalog = new PayloadCatalog(seededRng(2))
  const stores = await Promise.all(
    peers.map(async (p) => {
      const store = new MemoryLogStore({ backing: p.backing })
      await store.open()
      return store
    }),
  )
  const write = async (index: number, count: number, author: PeerId) => {
    const store = stores[index] as MemoryLogStore
    const drafts = Array.from({ length: count }, (_, i) => ({
      author,
      authorSeq: store.state(CH).nextSeq + i,
      payload: catalog.mint(CH, author).payload,
    }))
    const entries = sealEntries(hasher, CH, store.state(CH), drafts)
    await store.append(CH, entries)
    return entries
  }
  const checker = new LogChecker(peers, hasher, catalog)
  await checker.open()
  return { peers, stores, write, checker }
}

describe('LogChecker: a replica applying a chunk must be a prefix of the leader that served it', () => {
  it('accepts a replica holding the leader prefix, flags one holding other entries', async () => {
    const { stores, write, checker } = await logs()
    const entries = await write(0, 4, A)
    await (stores[1] as MemoryLogStore).append(CH, entries.slice(0, 3))
    checker.noteServed(B, CH, A, 3)
    await checker.afterStep(1)
    expect(checker.stats.prefixChecks).toBe(1)
    await write(1, 2, B)
    checker.noteServed(B, CH, A, 5)
    await expect(checker.afterStep(2)).rejects.toMatchObject({ invariant: 'prefix' })
  })

  it('flags a leader that loses entries while it leads', async () => {
    const { peers, stores, write, checker } = await logs()
    peers[0]?.roles.set(CH, 'leader')
    await write(0, 3, A)
    await checker.afterStep(1)
    await (stores[0] as MemoryLogStore).truncateAfter(CH, 0)
    await expect(checker.afterStep(2)).rejects.toThrow(/lost entries while leading/)
  })
})

describe('checkAcked: every acknowledged write is in the final log exactly once', () => {
  const acked = (peer: PeerId, ids: number[]) => ({
    channel: CH,
    peer,
    ids,
    firstSeq: undefined,
    at: 1,
  })

  it('accepts writes held or evicted from the front, flags one that is in no log', async () => {
    const { stores, write, checker } = await logs()
    const entries = await write(0, 4, A)
    const ids = entries.map((e) => payloadId(e.payload) as number)
    const store = stores[0] as MemoryLogStore
    await checker.afterStep(1)
    await store.setRetention(CH, { maxEntries: 2 })
    await store.sweepRetention(CH)
    await checker.afterStep(2)
    const leaders = new Map([[CH, A]])
    const ok = checkAcked(3, [acked(A, ids.slice(0, 2)), acked(B, ids.slice(2))], leaders, checker)
    expect(ok).toMatchObject({ lostAckedAppends: 0, unverifiableAckedEntries: 0, unackedInLog: 0 })
    // Acknowledged as pending by B, then never committed anywhere.
    const never = 9_999
    expect(() => checkAcked(4, [acked(B, [ids[3] as number, never])], leaders, checker)).toThrow(
      /1 acknowledged writes are not in the final log: 9999@b/,
    )
  })

  it('counts an entry as unverifiable when the log lost track of its history', async () => {
    const { stores, checker } = await logs()
    await (stores[0] as MemoryLogStore).skipTo(CH, 5 as Seq)
    await checker.afterStep(1)
    const result = checkAcked(2, [acked(A, [7])], new Map([[CH, A]]), checker)
    expect(result).toMatchObject({ lostAckedEntries: 0, unverifiableAckedEntries: 1 })
  })
})

describe('LeaderChecker: two leaders that can hear each other must resolve within the grace', () => {
  const setup = (reachable: boolean, loss = 0) => {
    const peers = new Map([A, B, C].map((id) => [id, new FakePeer(id)]))
    for (const id of [A, B]) peers.get(id)?.roles.set(CH, 'leader')
    const net = { canReach: () => reachable, faults: { ...NO_FAULTS, loss } }
    return new LeaderChecker(net, peers, [PLAN], 100, 10)
  }
  const grace = dualLeaderGraceMs(100, 10)

  it('flags a window longer than the grace on clean links', () => {
    const checker = setup(true)
    checker.check(0)
    checker.check(grace)
    expect(() => checker.check(grace + 1)).toThrow(/both lead/)
  })

  it('allows them while a partition separates them or links drop frames', () => {
    for (const checker of [setup(false), setup(true, 0.1)]) {
      checker.check(0)
      expect(() => checker.check(10 * grace)).not.toThrow()
    }
  })
})

describe('ConvergenceChecker: one leader, every replica following it with its log', () => {
  async function mesh() {
    const { peers, stores, write, checker } = await logs()
    const [a, b] = peers as [FakePeer, FakePeer]
    const c = new FakePeer(C)
    a.roles.set(CH, 'leader')
    b.roles.set(CH, 'replica')
    c.roles.set(CH, 'replica')
    b.leader = A
    c.leader = A
    const entries = await write(0, 3, A)
    await (stores[1] as MemoryLogStore).append(CH, entries)
    await checker.afterStep(0)
    // C has no log of its own here: give the plan only A and B.
    const plan = { ...PLAN, replicaSet: [A, B] }
    const converge = new ConvergenceChecker({
      healedAt: 0,
      boundMs: 1000,
      peers: new Map([
        [A, a],
        [B, b],
      ]),
      channels: [plan],
      logs: checker,
    })
    return { a, b, converge, write, checker }
  }

  it('records when it converged, and flags a later divergence', async () => {
    const { b, converge } = await mesh()
    converge.check(10)
    expect(converge.convergedAt).toBe(10)
    b.leader = undefined
    expect(() => converge.check(20)).toThrow(/diverged again/)
  })

  it('waits for every replica to hear its leader after the heal', async () => {
    const { b, converge } = await mesh()
    b.heard = -40
    expect(converge.problem()).toMatch(/b has not heard a since the heal/)
    b.heard = 5
    converge.check(10)
    expect(converge.convergedAt).toBe(10)
  })

  it('flags a mesh still apart after the bound', async () => {
    const { converge, write, checker } = await mesh()
    await write(0, 1, A)
    await checker.afterStep(1)
    expect(converge.problem()).toMatch(/b ends at 3, leader a at 4/)
    expect(() => converge.check(999)).not.toThrow()
    expect(() => converge.check(1001)).toThrow(/not converged/)
  })
})

describe('BoundsChecker: what persists between steps stays within its caps', () => {
  it('flags a token set past its cap, and keeps the highest values seen', () => {
    const depths: BoundsSeen = {
      lowLane: 0,
      priorityLane: 0,
      appendBacklog: 1,
      outstandingRequests: 3,
      trackedPeers: 2,
      backoffEntries: 0,
    }
    const checker = new BoundsChecker([{ id: A, channels: [PLAN] }], () => depths)
    checker.check(0)
    expect(checker.maxSeen.outstandingRequests).toBe(3)
    depths.trackedPeers = 4
    expect(() => checker.check(1)).toThrow(/trackedPeers 4 > cap 3/)
  })
})
