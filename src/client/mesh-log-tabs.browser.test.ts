import { afterEach, describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import {
  bytes,
  deleteNamespace,
  freshNamespace,
  readAll,
  text,
  untilOneLeader,
  untilTail,
} from '../../test/mesh-log-kit.js'
import { memoryLinkPair } from '../core/transport/memory-link.js'
import { MeshLog } from './mesh-log.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe(`two tabs of one origin in ${server.browser}`, () => {
  it('replicate over BroadcastChannel with no network: one leader, one replica, same order', async () => {
    const namespace = freshNamespace('tabs')
    // Two MeshLogs on one page stand for two tabs: each holds its own slot
    // (Web Lock), database and worker, and they meet only on the tab channel.
    const a = await MeshLog.create({ namespace, heartbeatMs: 50 })
    const b = await MeshLog.create({ namespace, heartbeatMs: 50 })
    cleanups.push(async () => {
      await Promise.all([a.close(), b.close()])
      await deleteNamespace(namespace, 2)
    })
    expect([a.slot, b.slot]).toEqual([0, 1])
    expect(a.peerId).not.toBe(b.peerId)

    const replicaSet = [a.peerId, b.peerId]
    await Promise.all([a.open('chat', { replicaSet }), b.open('chat', { replicaSet })])
    const leader = await untilOneLeader([a, b], 'chat')
    const replica = leader === a ? b : a

    for (let batch = 0; batch < 10; batch++) {
      const payloads = Array.from({ length: 30 }, (_, i) => bytes(`m${batch * 30 + i}`))
      await leader.appendMany('chat', payloads)
    }
    await untilTail(replica, 'chat', 300)

    const [atLeader, atReplica] = await Promise.all([
      readAll(leader, 'chat'),
      readAll(replica, 'chat'),
    ])
    expect(atLeader).toHaveLength(300)
    expect(atReplica.map((e) => [e.seq, text(e.payload), e.author])).toEqual(
      atLeader.map((e) => [e.seq, text(e.payload), e.author]),
    )
    expect(atReplica.map((e) => e.hash)).toEqual(atLeader.map((e) => e.hash))
    expect(atLeader.map((e) => text(e.payload))).toEqual(
      Array.from({ length: 300 }, (_, i) => `m${i}`),
    )

    const status = await replica.status()
    // The workers link to each other directly: tab frames never cross the page's main thread.
    expect(status.links).toEqual([{ peer: leader.peerId, kind: 'broadcast-channel' }])
    expect(status.pageLinks).toEqual([])
    expect(status.channels[0]?.metrics.appliedEntriesTotal).toBe(300)
    // Still one leader and one replica following it. Not necessarily the
    // same ones: with 50 ms heartbeats, a 2-core machine running both
    // browsers' suites can hold a worker past the 150 ms silence window
    // (seen once in CI: the replica took over after replicating all 300).
    const now = await untilOneLeader([a, b], 'chat')
    const follower = now === a ? b : a
    expect((await follower.status()).channels[0]).toMatchObject({
      role: 'replica',
      leader: now.peerId,
      nextSeq: 300,
    })
  })

  it('peers linked through attachLink replicate through the page’s frame port (the libp2p seam)', async () => {
    const namespace = freshNamespace('attach')
    const a = await MeshLog.create({ namespace, tabLinks: false, heartbeatMs: 50 })
    const b = await MeshLog.create({ namespace, tabLinks: false, heartbeatMs: 50 })
    cleanups.push(async () => {
      await Promise.all([a.close(), b.close()])
      await deleteNamespace(namespace, 2)
    })
    // A small buffer per link direction, so the pump must respect backpressure.
    const [atA, atB] = memoryLinkPair(a.peerId, b.peerId, 4)
    a.attachLink(atA)
    b.attachLink(atB)
    const replicaSet = [a.peerId, b.peerId]
    await Promise.all([a.open('wire', { replicaSet }), b.open('wire', { replicaSet })])
    const leader = await untilOneLeader([a, b], 'wire')
    const replica = leader === a ? b : a
    for (let batch = 0; batch < 5; batch++) {
      await leader.appendMany(
        'wire',
        Array.from({ length: 400 }, (_, i) => new Uint8Array(200).fill((batch * 400 + i) % 251)),
      )
    }
    await untilTail(replica, 'wire', 2000)
    const [x, y] = await Promise.all([readAll(leader, 'wire'), readAll(replica, 'wire')])
    expect(y.map((e) => e.hash)).toEqual(x.map((e) => e.hash))
    const status = await replica.status()
    expect(status.pageLinks).toEqual([{ peer: leader.peerId, kind: 'memory' }])
    expect(status.links).toEqual([{ peer: leader.peerId, kind: 'memory' }])

    // Closing the link tells the worker; the replica notices its leader is gone.
    atA.close()
    await expect.poll(async () => (await replica.status()).links).toEqual([])
    expect((await leader.status()).pageLinks).toEqual([])
  })

  it('a tab that closes releases its slot for the next one, which is the same peer', async () => {
    const namespace = freshNamespace('slot-reuse')
    const first = await MeshLog.create({ namespace, tabLinks: false })
    const { peerId, slot } = first
    await first.close()
    const again = await MeshLog.create({ namespace, tabLinks: false })
    cleanups.push(async () => {
      await again.close()
      await deleteNamespace(namespace, 1)
    })
    expect(again.slot).toBe(slot)
    expect(again.peerId).toBe(peerId)
  })
})
