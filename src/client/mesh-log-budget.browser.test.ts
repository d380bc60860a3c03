import { afterEach, describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import {
  deleteNamespace,
  exclusively,
  freshNamespace,
  untilOneLeader,
} from '../../test/mesh-log-kit.js'
import type { Entry } from '../core/log/entry.js'
import { MeshLog } from './mesh-log.js'

const ENTRIES = 100_000
const PAYLOAD_BYTES = 100
const BATCH = 1000
const IN_FLIGHT = 4

/** Replication normally takes 5-20 s here; past this the run has stalled. */
const DELIVERY_DEADLINE_MS = 120_000

const cleanups: (() => Promise<void>)[] = []

/** Resolves with `promise`, or rejects with `explain()`'s account after `ms`. */
async function untilOr(
  promise: Promise<void>,
  ms: number,
  explain: () => Promise<string>,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      explain().then(
        (account) => reject(new Error(account)),
        (error: unknown) => reject(error),
      )
    }, ms)
  })
  try {
    await Promise.race([promise, stalled])
  } finally {
    clearTimeout(timer)
  }
}
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let at = 0; at < length; at += 65536) {
    crypto.getRandomValues(out.subarray(at, Math.min(length, at + 65536)))
  }
  return out
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i])
}

/** Long tasks (> 50 ms) on this page's main thread while `run` runs; undefined where unsupported. */
async function longTasksDuring(run: () => Promise<void>): Promise<PerformanceEntry[] | undefined> {
  if (!PerformanceObserver.supportedEntryTypes.includes('longtask')) {
    await run()
    return undefined
  }
  const seen: PerformanceEntry[] = []
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()))
  observer.observe({ type: 'longtask' })
  try {
    await run()
    // Entries are delivered asynchronously: take what is queued before judging.
    seen.push(...observer.takeRecords())
  } finally {
    observer.disconnect()
  }
  return seen
}

describe(`main-thread budget in ${server.browser}`, () => {
  // Chromium and Firefox would run this at the same time: on a 2-core
  // machine the other browser's 100k run preempts this page mid-task, and
  // the long tasks measured would be the machine's, not meshlog's.
  it(
    `two tabs append and replicate ${ENTRIES} entries, every one delivered once and in order`,
    () =>
      exclusively('cpu', async () => {
        const namespace = freshNamespace('budget')
        // Unsigned: this measures the page's share and the replication
        // plumbing. Signing and verifying run in the workers (never on this
        // thread) at ~0.1-0.25 ms per entry each (bench:signing), which
        // would stretch this run ~10x (Chromium under load: 52 s instead of
        // 4-6 s; Firefox past the 300 s limit); signed replication between
        // tabs is covered by mesh-log-signing.browser.test.ts.
        const options = { namespace, heartbeatMs: 100, signEntries: false }
        const a = await MeshLog.create(options)
        const b = await MeshLog.create(options)
        cleanups.push(async () => {
          await Promise.all([a.close(), b.close()])
          await deleteNamespace(namespace, 2)
        })
        const replicaSet = [a.peerId, b.peerId]
        const channel = { replicaSet, entryEvents: false }
        await Promise.all([a.open('bulk', channel), b.open('bulk', channel)])
        const leader = await untilOneLeader([a, b], 'bulk')
        const replica = leader === a ? b : a
        const source = randomBytes(ENTRIES * PAYLOAD_BYTES)
        const payload = (i: number) => source.subarray(i * PAYLOAD_BYTES, (i + 1) * PAYLOAD_BYTES)

        let received = 0
        let outOfOrder = 0
        let allReceived: () => void = () => undefined
        const done = new Promise<void>((resolve) => {
          allReceived = resolve
        })
        let appendedAt = 0
        const started = performance.now()
        const longTasks = await longTasksDuring(async () => {
          await replica.subscribe(
            'bulk',
            (entries: readonly Entry[]) => {
              for (const e of entries) if (e.seq !== received++) outOfOrder++
              if (received >= ENTRIES) allReceived()
            },
            { from: 0 },
          )
          let next = 0
          const writer = async () => {
            while (next < ENTRIES) {
              const first = next
              next += BATCH
              const payloads = Array.from({ length: BATCH }, (_, i) => payload(first + i))
              await leader.appendMany('bulk', payloads)
            }
          }
          await Promise.all(Array.from({ length: IN_FLIGHT }, writer))
          appendedAt = performance.now()
          await untilOr(done, DELIVERY_DEADLINE_MS, async () => {
            // Stalled: say where, rather than hang until the test timeout.
            const views = await Promise.all(
              [leader, replica].map(async (log) => {
                const c = (await log.status()).channels[0]
                const m = c?.metrics
                return (
                  `${log === leader ? 'leader' : 'replica'}: role ${c?.role}, tail ${c?.nextSeq}, outbox ${c?.outboxSize}, ` +
                  `transitions ${JSON.stringify(m?.transitionsBySignal)}, drops ${JSON.stringify(m?.drops)}`
                )
              }),
            )
            return `${received} of ${ENTRIES} delivered after ${DELIVERY_DEADLINE_MS} ms; ${views.join('; ')}`
          })
        })
        const finished = performance.now()

        expect(received).toBe(ENTRIES)
        expect(outOfOrder).toBe(0)
        const seconds = (ms: number) => (ms / 1000).toFixed(2)
        console.log(
          `[budget ${server.browser}] ${ENTRIES} entries × ${PAYLOAD_BYTES} B: appended in ` +
            `${seconds(appendedAt - started)} s, replicated and delivered in ${seconds(finished - started)} s; ` +
            `long tasks: ${longTasks === undefined ? 'not observable' : longTasks.length}` +
            (longTasks?.length
              ? ` (${longTasks.map((t) => Math.round(t.duration)).join(', ')} ms)`
              : ''),
        )
        const replicaMetrics = (await replica.status()).channels[0]?.metrics
        console.log(
          `[budget ${server.browser}] replica: ${replicaMetrics?.syncRequestsSentTotal} requests, ` +
            `${replicaMetrics?.syncResponsesAppliedTotal} responses applied, NACKs ${JSON.stringify(replicaMetrics?.nacksReceived)}, ` +
            `drops ${JSON.stringify(replicaMetrics?.drops)}`,
        )
        // One leader all along: the replica never had cause to cut its log.
        expect(replicaMetrics?.divergentEntriesCutTotal).toBe(0)
        expect(replicaMetrics?.skipAheadTotal).toBe(0)
        // Long tasks are reported, not asserted: on a loaded 2-core machine
        // the page stalls 50-300 ms now and then (a GC scavenge whose helper
        // threads are not scheduled, native handling of a worker message).
        // `npm run bench:budget` measures them over several runs and says
        // what each one was.

        // The replica holds the leader's log: same entries, same order, same hashes.
        const [atLeader, atReplica] = await Promise.all([
          leader.stored('bulk'),
          replica.stored('bulk'),
        ])
        expect(atReplica).toMatchObject({ firstSeq: 0, nextSeq: ENTRIES })
        expect(atLeader).toMatchObject({ firstSeq: 0, nextSeq: ENTRIES })
        const leaderRead = leader.read('bulk', { chunkEntries: 4096 })
        let seq = 0
        let differ = 0
        for await (const theirs of replica.read('bulk', { chunkEntries: 4096 })) {
          const ours = (await leaderRead.next()).value as Entry
          if (theirs.seq !== seq || ours.seq !== seq || !sameBytes(theirs.hash, ours.hash)) differ++
          seq++
        }
        expect(seq).toBe(ENTRIES)
        expect(differ).toBe(0)
      }),
    300_000,
  )
})
