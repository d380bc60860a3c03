/**
 * Offline-first writes through the page API, in a real browser: a tab that
 * does not lead takes an append as pending (durable in its outbox), the
 * leader tab commits it, and the writer learns it (`committed`,
 * `waitCommitted`); with no leader reachable the wait times out, typed,
 * and the write stays pending.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import {
  bytes,
  deleteNamespace,
  freshNamespace,
  readAll,
  text,
  untilOneLeader,
  untilRole,
} from '../../test/mesh-log-kit.js'
import { CommitTimeoutError } from './client-errors.js'
import type { CommittedWriteEvent } from './commit-waiter.js'
import { MeshLog } from './mesh-log.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

describe(`offline-first writes in ${server.browser}`, () => {
  it('an append on a non-leader tab resolves pending and later commits, exactly once', async () => {
    const namespace = freshNamespace('pending')
    // Beats slow enough that a loaded machine does not make leadership flap mid-test.
    const a = await MeshLog.create({ namespace, heartbeatMs: 200 })
    const b = await MeshLog.create({ namespace, heartbeatMs: 200 })
    cleanups.push(async () => {
      await Promise.all([a.close(), b.close()])
      await deleteNamespace(namespace, 2)
    })
    const replicaSet = [a.peerId, b.peerId]
    await Promise.all([a.open('notes', { replicaSet }), b.open('notes', { replicaSet })])
    const leader = await untilOneLeader([a, b], 'notes')
    const writer = leader === a ? b : a
    await untilRole(writer, 'notes', 'replica')
    await leader.append('notes', bytes('from the leader'))

    const events: CommittedWriteEvent[] = []
    writer.on('committed', (e) => events.push(e.detail))
    const receipt = await writer.append('notes', bytes('from the replica'))
    expect(receipt).toEqual({
      pending: { channel: 'notes', author: writer.peerId, authorSeq: 0 },
    })
    if (!('pending' in receipt)) throw new Error('unreachable')
    const { seq } = await writer.waitCommitted(receipt.pending, { timeoutMs: 10_000 })
    // Already committed: answers at once from the worker's state.
    await expect(writer.waitCommitted(receipt.pending, { timeoutMs: 1_000 })).resolves.toEqual(
      expect.any(Object),
    )
    await expect.poll(() => events.length).toBe(1)
    expect(events[0]).toMatchObject({ channel: 'notes', author: writer.peerId, authorSeq: 0 })

    const atLeader = await readAll(leader, 'notes')
    const mine = atLeader.filter((e) => e.author === writer.peerId)
    expect(mine.map((e) => [text(e.payload), e.authorSeq])).toEqual([['from the replica', 0]])
    if (seq !== undefined) expect(mine[0]?.seq).toBe(seq)
    const status = await writer.status()
    expect(status.channels[0]).toMatchObject({ outboxSize: 0 })
    expect(status.channels[0]?.metrics.proposesSentTotal).toBeGreaterThan(0)
  })

  it('with no leader reachable, waitCommitted times out with CommitTimeoutError; the write stays pending', async () => {
    const namespace = freshNamespace('no-leader')
    const log = await MeshLog.create({ namespace, tabLinks: false })
    cleanups.push(async () => {
      await log.close()
      await deleteNamespace(namespace, 1)
    })
    // The other member never shows up, and a slow heartbeat keeps this tab from leading.
    await log.open('alone', { replicaSet: [log.peerId, 'peer-far-away'], heartbeatMs: 5_000 })
    const receipt = await log.append('alone', bytes('offline'))
    if (!('pending' in receipt)) throw new Error('a lone replica cannot commit')
    const error = await log.waitCommitted(receipt.pending, { timeoutMs: 200 }).catch((e) => e)
    expect(error).toBeInstanceOf(CommitTimeoutError)
    expect(error).toMatchObject({
      code: 'ERR_COMMIT_TIMEOUT',
      details: { channel: 'alone', author: log.peerId, authorSeq: 0, timeoutMs: 200 },
    })
    const status = await log.status()
    expect(status.channels[0]).toMatchObject({ outboxSize: 1, nextSeq: 0 })
  })
})
