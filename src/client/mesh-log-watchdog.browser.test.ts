import { afterEach, describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import {
  bytes,
  deleteNamespace,
  freshNamespace,
  nextEvent,
  readAll,
  text,
  untilOneLeader,
  untilRole,
  untilTail,
} from '../../test/mesh-log-kit.js'
import type { Entry } from '../core/log/entry.js'
import { memoryLinkPair } from '../core/transport/memory-link.js'
import { WorkerCrashedError } from './client-errors.js'
import { MeshLog } from './mesh-log.js'
import type { MeshLogOptions } from './mesh-log-options.js'

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

const FAST_WATCHDOG = { pingIntervalMs: 100, pingTimeoutMs: 600, restartBackoffMs: 50 }

async function soloLog(label: string, options: MeshLogOptions = {}): Promise<MeshLog> {
  const namespace = freshNamespace(label)
  const log = await MeshLog.create({
    namespace,
    tabLinks: false,
    heartbeatMs: 50,
    watchdog: FAST_WATCHDOG,
    ...options,
  })
  cleanups.push(async () => {
    await log.close()
    await deleteNamespace(namespace, 1)
  })
  return log
}

function crashableWorker(): { spawn: () => Worker; current: () => Worker | undefined } {
  let current: Worker | undefined
  return {
    spawn: () => {
      current = new Worker(new URL('../../test/workers/crashable.worker.ts', import.meta.url), {
        type: 'module',
      })
      return current
    },
    current: () => current,
  }
}

describe(`the worker watchdog in ${server.browser}`, () => {
  it('a worker killed mid-append: pending calls reject, it restarts, every resolved append survives', async () => {
    const log = await soloLog('kill')
    await log.open('c', { replicaSet: [log.peerId], entryEvents: false })
    await untilRole(log, 'c', 'leader')
    const delivered: number[] = []
    let onDelivery: () => void = () => undefined
    await log.subscribe(
      'c',
      (entries: readonly Entry[]) => {
        for (const e of entries) delivered.push(e.seq)
        onDelivery()
      },
      { from: 0 },
    )

    const crashed = nextEvent(log, 'worker-crashed')
    const restarted = nextEvent(log, 'worker-restarted')
    const resolved: { seq: number; payload: string }[] = []
    const failures: unknown[] = []
    const writer = async (w: number) => {
      for (let i = 0; ; i++) {
        const payload = `w${w}-${i}`
        try {
          const receipt = await log.append('c', bytes(payload))
          if (!('seq' in receipt)) throw new Error('the sole member leads: appends commit at once')
          resolved.push({ seq: receipt.seq, payload })
          if (w === 0 && i === 20) log.testing.terminateWorker()
        } catch (error) {
          failures.push(error)
          return
        }
      }
    }
    await Promise.all([0, 1, 2, 3].map(writer))

    // Every writer's last call was pending on the dead worker.
    expect(failures).toHaveLength(4)
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(WorkerCrashedError)
      expect(failure).toMatchObject({ code: 'ERR_WORKER_CRASHED', details: { generation: 1 } })
      expect((failure as WorkerCrashedError).details.reason).toMatch(/ping/)
    }
    expect(await crashed).toMatchObject({ generation: 1 })
    expect(await restarted).toMatchObject({ generation: 2, restarts: 1 })
    expect(resolved.length).toBeGreaterThanOrEqual(21)

    await untilRole(log, 'c', 'leader')
    const entries = await readAll(log, 'c')
    const bySeq = new Map(entries.map((e) => [e.seq as number, text(e.payload)]))
    for (const { seq, payload } of resolved) expect(bySeq.get(seq), `seq ${seq}`).toBe(payload)
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i))

    // It works again, and the subscription resumed where it stopped: no gap, no repeat.
    const after = await log.append('c', bytes('after'))
    const seq = 'seq' in after ? after.seq : -1
    await new Promise<void>((resolve) => {
      onDelivery = () => {
        if (delivered.includes(seq)) resolve()
      }
      onDelivery()
    })
    expect(delivered).toEqual(Array.from({ length: seq + 1 }, (_, i) => i))
    const status = await log.status()
    expect(status.watchdog).toMatchObject({ state: 'ready', generation: 2, restarts: 1 })
    expect(status.watchdog.pingTimeouts).toBe(1)
    expect(status.client.crashed).toBe(4)
    expect(status.channels.map((c) => c.channel)).toEqual(['c'])
  })

  it('links attached on the page are handed to the restarted worker, and replication resumes', async () => {
    const namespace = freshNamespace('relink')
    const options = { namespace, tabLinks: false, heartbeatMs: 50, watchdog: FAST_WATCHDOG }
    const a = await MeshLog.create(options)
    const b = await MeshLog.create(options)
    cleanups.push(async () => {
      await Promise.all([a.close(), b.close()])
      await deleteNamespace(namespace, 2)
    })
    const [atA, atB] = memoryLinkPair(a.peerId, b.peerId)
    a.attachLink(atA)
    b.attachLink(atB)
    const replicaSet = [a.peerId, b.peerId]
    await Promise.all([a.open('r', { replicaSet }), b.open('r', { replicaSet })])
    const leader = await untilOneLeader([a, b], 'r')
    const replica = leader === a ? b : a
    await leader.appendMany('r', ['1', '2', '3'].map(bytes))
    await untilTail(replica, 'r', 3)

    const restarted = nextEvent(replica, 'worker-restarted')
    replica.testing.terminateWorker()
    await restarted
    expect((await replica.status()).links).toEqual([{ peer: leader.peerId, kind: 'memory' }])
    // The restarted replica's log came back from IndexedDB; new entries follow it.
    expect((await replica.stored('r')).nextSeq).toBe(3)
    const current = await untilOneLeader([a, b], 'r')
    await current.appendMany('r', ['4', '5'].map(bytes))
    await untilTail(current === a ? b : a, 'r', 5)
    const [x, y] = await Promise.all([readAll(a, 'r'), readAll(b, 'r')])
    expect(x.map((e) => text(e.payload))).toEqual(['1', '2', '3', '4', '5'])
    expect(y.map((e) => e.hash)).toEqual(x.map((e) => e.hash))
  })

  it('an uncaught error in the worker restarts it at once', async () => {
    const worker = crashableWorker()
    // A slow ping: only the error event can explain a quick restart.
    const log = await soloLog('error-event', {
      createWorker: worker.spawn,
      watchdog: { ...FAST_WATCHDOG, pingTimeoutMs: 30_000 },
    })
    await log.open('c', { replicaSet: [log.peerId] })
    const restarted = nextEvent(log, 'worker-restarted', () => true, 5000)
    worker.current()?.postMessage({ meshlogTest: 'throw' })
    expect(await restarted).toMatchObject({ generation: 2 })
    const status = await log.status()
    expect(status.watchdog.workerErrors).toBe(1)
    expect(status.watchdog.lastCrashReason).toMatch(/boom from the test worker/)
    expect(status.channels.map((c) => c.channel)).toEqual(['c'])
  })

  it('a hung worker misses its pings and is replaced; calls on it reject', async () => {
    const worker = crashableWorker()
    const log = await soloLog('hang', { createWorker: worker.spawn })
    const restarted = nextEvent(log, 'worker-restarted')
    worker.current()?.postMessage({ meshlogTest: 'hang' })
    const stuck = log.status().catch((error: unknown) => error)
    expect(await stuck).toBeInstanceOf(WorkerCrashedError)
    await restarted
    expect((await log.status()).watchdog.pingTimeouts).toBe(1)
  })

  it('a call past its deadline rejects with TimeoutError; a slow worker is not a dead one', async () => {
    const worker = crashableWorker()
    const log = await soloLog('deadline', {
      createWorker: worker.spawn,
      watchdog: { ...FAST_WATCHDOG, pingTimeoutMs: 30_000 },
    })
    worker.current()?.postMessage({ meshlogTest: 'hang', ms: 1000 })
    await expect(log.status({ timeoutMs: 200 })).rejects.toMatchObject({ name: 'TimeoutError' })
    const status = await log.status()
    expect(status.watchdog).toMatchObject({ state: 'ready', generation: 1, restarts: 0 })
    expect(status.client.timedOut).toBe(1)
  })

  it('gives up after maxRestarts failed restarts: calls reject with WorkerCrashedError', async () => {
    let spawned = 0
    const log = await soloLog('give-up', {
      watchdog: { ...FAST_WATCHDOG, maxRestarts: 2 },
      createWorker: () => {
        spawned += 1
        const url =
          spawned === 1
            ? new URL('../../workers/replication.worker.ts', import.meta.url)
            : new URL('../../test/workers/broken.worker.ts', import.meta.url)
        return new Worker(url, { type: 'module' })
      },
    })
    const failed = nextEvent(log, 'worker-failed')
    log.testing.terminateWorker()
    expect(await failed).toMatchObject({ attempts: 2 })
    expect(spawned).toBe(3)
    await expect(log.status()).rejects.toBeInstanceOf(WorkerCrashedError)
    expect(await log.close()).toBeUndefined()
  })
})
