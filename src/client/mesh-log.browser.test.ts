import { afterEach, describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import {
  bytes,
  deleteNamespace,
  freshNamespace,
  readAll,
  text,
  untilRole,
} from '../../test/mesh-log-kit.js'
import { AbortedError, InvalidArgumentError, type MeshlogError } from '../core/errors.js'
import type { Entry } from '../core/log/entry.js'
import { MeshLog } from './mesh-log.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function soloLog(label: string): Promise<MeshLog> {
  const namespace = freshNamespace(label)
  const log = await MeshLog.create({ namespace, tabLinks: false, heartbeatMs: 50 })
  cleanups.push(async () => {
    await log.close()
    await deleteNamespace(namespace, 1)
  })
  return log
}

describe(`MeshLog worker API in ${server.browser}`, () => {
  it('appends as leader, reads back in bounded chunks, and reports status', async () => {
    const log = await soloLog('round-trip')
    // Entries are signed by default, so the peer id is the slot key's libp2p peer id.
    expect(log.peerId).toMatch(/^12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$/)
    const opened = await log.open('notes', { replicaSet: [log.peerId] })
    expect(opened).toMatchObject({ channel: 'notes', firstSeq: 0, nextSeq: 0 })
    await untilRole(log, 'notes', 'leader')

    expect(await log.append('notes', bytes('first'))).toEqual({ seq: 0 })
    expect(await log.appendMany('notes', ['a', 'b', 'c'].map(bytes))).toEqual({
      firstSeq: 1,
      nextSeq: 4,
    })
    const entries = await readAll(log, 'notes')
    expect(entries.map((e) => [e.seq, text(e.payload), e.author])).toEqual([
      [0, 'first', log.peerId],
      [1, 'a', log.peerId],
      [2, 'b', log.peerId],
      [3, 'c', log.peerId],
    ])
    expect(entries[1]?.prevHash).toEqual(entries[0]?.hash)
    for (const e of entries) expect(e.signature?.byteLength).toBe(64)
    const chunked: number[] = []
    for await (const e of log.read('notes', { from: 1, to: 3, chunkEntries: 1 }))
      chunked.push(e.seq)
    expect(chunked).toEqual([1, 2])
    expect(await log.stored('notes')).toMatchObject({ firstSeq: 0, nextSeq: 4 })

    const status = await log.status()
    expect(status.self).toBe(log.peerId)
    expect(status.channels).toHaveLength(1)
    expect(status.channels[0]).toMatchObject({
      channel: 'notes',
      role: 'leader',
      leader: log.peerId,
      nextSeq: 4,
    })
    expect(status.channels[0]?.metrics.localAppendedEntriesTotal).toBe(4)
    expect(status.watchdog).toMatchObject({ state: 'ready', generation: 1, restarts: 0 })
    expect(status.watchdog.pingsSent).toBeGreaterThanOrEqual(0)
    expect(status.client.pending).toBe(0)
  })

  it('subscribers get batches in order from where they asked; unsubscribing ends it on both sides', async () => {
    const log = await soloLog('subscribe')
    await log.open('feed', { replicaSet: [log.peerId], entryEvents: false })
    await untilRole(log, 'feed', 'leader')
    await log.appendMany('feed', ['0', '1', '2'].map(bytes))

    const seen: number[] = []
    let wake: () => void = () => undefined
    const stop = await log.subscribe(
      'feed',
      (entries: readonly Entry[]) => {
        for (const e of entries) seen.push(e.seq)
        wake()
      },
      { from: 1 },
    )
    const until = (n: number) =>
      new Promise<void>((resolve) => {
        wake = () => seen.length >= n && resolve()
        wake()
      })
    await until(2)
    await log.appendMany('feed', ['3', '4'].map(bytes))
    await until(4)
    expect(seen).toEqual([1, 2, 3, 4])
    expect((await log.status()).subscriptions.active).toBe(1)

    await stop()
    await stop()
    const after = await log.status()
    expect(after.subscriptions.active).toBe(0)
    expect(after.client.subscriptions).toBe(0)
    const later: number[] = []
    const laterSaw5 = new Promise<void>((resolve) => {
      void log.subscribe(
        'feed',
        (entries) => {
          later.push(...entries.map((e) => e.seq))
          resolve()
        },
        { from: 5 },
      )
    })
    await log.append('feed', bytes('5'))
    await laterSaw5
    expect(later).toEqual([5])
    expect(seen).toEqual([1, 2, 3, 4])
  })

  it('entry events carry each open channel’s new entries', async () => {
    const log = await soloLog('entry-events')
    const batches: number[][] = []
    log.on('entry', (e) => batches.push(e.detail.entries.map((entry) => entry.seq)))
    await log.open('events', { replicaSet: [log.peerId] })
    await untilRole(log, 'events', 'leader')
    const delivered = new Promise<void>((resolve) =>
      log.on('entry', (e) => e.detail.entries.some((entry) => entry.seq === 2) && resolve()),
    )
    await log.appendMany('events', ['x', 'y', 'z'].map(bytes))
    await delivered
    expect(batches.flat()).toEqual([0, 1, 2])
  })

  it('errors thrown in the worker arrive as the same typed classes', async () => {
    const log = await soloLog('errors')
    const other = 'peer-somebody-else'
    // A slow heartbeat keeps this peer a replica long after open: its append waits in the outbox.
    await log.open('shared', { replicaSet: [log.peerId, other], heartbeatMs: 5000 })
    expect(await log.append('shared', bytes('x'))).toEqual({
      pending: { channel: 'shared', author: log.peerId, authorSeq: 0 },
    })

    const notOpen = await log.append('never-opened', bytes('x')).catch((e: unknown) => e)
    expect(notOpen).toBeInstanceOf(InvalidArgumentError)
    expect((notOpen as MeshlogError).details).toMatchObject({ channel: 'never-opened' })

    const withoutSelf = await log.open('x', { replicaSet: [other] }).catch((e: unknown) => e)
    expect(withoutSelf).toBeInstanceOf(InvalidArgumentError)
    expect((withoutSelf as Error).message).toMatch(/must include this peer/)

    const aborted = new AbortController()
    aborted.abort()
    await expect(log.status({ signal: aborted.signal })).rejects.toBeInstanceOf(AbortedError)
    await expect(log.status({ timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('validates options before anything starts', async () => {
    const bad: [object, string][] = [
      [{ namespace: 'has space' }, 'namespace'],
      [{ slot: -1 }, 'slot'],
      [{ peerId: '' }, 'peerId'],
      [{ heartbeatMs: 0 }, 'heartbeatMs'],
      [{ callTimeoutMs: Number.NaN }, 'callTimeoutMs'],
      [{ watchdog: { maxRestarts: 0 } }, 'watchdog.maxRestarts'],
      [{ tabLinks: 'yes' }, 'tabLinks'],
    ]
    for (const [options, option] of bad) {
      const error = await MeshLog.create(options).catch((e: unknown) => e)
      expect(error, option).toBeInstanceOf(InvalidArgumentError)
      expect((error as MeshlogError).details, option).toMatchObject({ option })
    }
    const log = await soloLog('validate')
    await expect(log.open('c', { replicaSet: [] })).rejects.toMatchObject({
      details: { option: 'replicaSet' },
    })
    await expect(log.appendMany('c', ['nope' as unknown as Uint8Array])).rejects.toBeInstanceOf(
      InvalidArgumentError,
    )
    await expect(
      log.appendMany(
        'c',
        Array.from({ length: 4097 }, () => new Uint8Array(1)),
      ),
    ).rejects.toBeInstanceOf(InvalidArgumentError)
  })

  it('close is idempotent and later calls reject with ClosedError', async () => {
    const log = await soloLog('close')
    await Promise.all([log.close(), log.close()])
    await expect(log.status()).rejects.toMatchObject({ name: 'ClosedError' })
  })
})
