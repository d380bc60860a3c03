/**
 * The page half of `npm run bench:budget`: two MeshLogs in one page (tabs of
 * one origin, linked over BroadcastChannel in their workers). One appends
 * `entries` payloads of `payloadBytes`, `inFlight` batches of `batch` at a
 * time; the other subscribes from 0. Long tasks on this page's main thread
 * are observed from the first append to the last delivery.
 */
import { MeshLog } from '../../src/client/mesh-log.js'

interface BudgetRun {
  readonly entries: number
  readonly appendMs: number
  readonly deliveredMs: number
  /** [start, duration] of each long task, ms since the run started. */
  readonly longTasks: readonly (readonly [number, number])[]
}

async function leaderOf(logs: readonly MeshLog[], channel: string): Promise<MeshLog> {
  for (;;) {
    const roles = await Promise.all(
      logs.map(
        async (log) => (await log.status()).channels.find((c) => c.channel === channel)?.role,
      ),
    )
    const leaders = logs.filter((_, i) => roles[i] === 'leader')
    if (leaders.length === 1 && roles.includes('replica')) return leaders[0] as MeshLog
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function run(
  entries: number,
  payloadBytes: number,
  batch: number,
  inFlight: number,
): Promise<BudgetRun> {
  const namespace = `budget-${Date.now()}-${Math.random().toString(36).slice(2)}`
  const options = { namespace, heartbeatMs: 100, signEntries: false }
  const logs = [await MeshLog.create(options), await MeshLog.create(options)]
  const replicaSet = logs.map((log) => log.peerId)
  await Promise.all(logs.map((log) => log.open('bulk', { replicaSet, entryEvents: false })))
  const leader = await leaderOf(logs, 'bulk')
  const replica = logs.find((log) => log !== leader) as MeshLog
  const source = new Uint8Array(entries * payloadBytes)
  for (let at = 0; at < source.length; at += 65536)
    crypto.getRandomValues(source.subarray(at, Math.min(source.length, at + 65536)))

  const seen: PerformanceEntry[] = []
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()))
  observer.observe({ type: 'longtask' })
  let received = 0
  let allReceived: () => void = () => undefined
  const done = new Promise<void>((resolve) => {
    allReceived = resolve
  })
  const startedAt = performance.now()
  // Marks the trace (bench/budget/run.mjs) at the run's start, to map long tasks onto it.
  console.timeStamp('meshlog-budget-start')
  const stop = await replica.subscribe(
    'bulk',
    (delivered) => {
      received += delivered.length
      if (received >= entries) allReceived()
    },
    { from: 0 },
  )
  let next = 0
  const writer = async (): Promise<void> => {
    while (next < entries) {
      const first = next
      next += batch
      const count = Math.min(batch, entries - first)
      const payloads = Array.from({ length: count }, (_, i) =>
        source.subarray((first + i) * payloadBytes, (first + i + 1) * payloadBytes),
      )
      await leader.appendMany('bulk', payloads, { timeoutMs: 120_000 })
    }
  }
  await Promise.all(Array.from({ length: inFlight }, writer))
  const appendMs = performance.now() - startedAt
  await done
  const deliveredMs = performance.now() - startedAt
  seen.push(...observer.takeRecords())
  observer.disconnect()
  await stop()
  await Promise.all(logs.map((log) => log.close()))
  return {
    entries,
    appendMs: Math.round(appendMs),
    deliveredMs: Math.round(deliveredMs),
    longTasks: seen.map((t) => [Math.round(t.startTime - startedAt), Math.round(t.duration)]),
  }
}

declare global {
  interface Window {
    budgetBench?: { run: typeof run }
  }
}

window.budgetBench = { run }
