#!/usr/bin/env node
// `npm run bench:budget`: the page's main-thread budget while two tabs
// replicate. Two MeshLogs in one headless Chromium page; one appends
// 100,000 entries of 100 B (unsigned), the other subscribes from 0; long
// tasks (> 50 ms) on the page's main thread are counted from the first
// append to the last delivery. The run is traced, and each long task is
// attributed: a garbage-collection pause (V8 GC events make up most of
// it), a task that waited for a core (its thread's CPU time is under half
// its length), or other work (named by what the task ran). On a 2-core
// machine a scavenge whose helper threads are not scheduled can take
// 100-300 ms.
// Flags: `npm run bench:budget -- --help`. Per-run lines go to stderr; the
// last line of stdout is the JSON summary.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from 'playwright'
import { chromiumLaunchOptions } from '../../scripts/browsers.mjs'
import { benchArgs } from '../bench-args.mjs'
import { serveBenchPage } from '../bench-page.mjs'

const flags = benchArgs(
  'bench:budget',
  "Long tasks on a page's main thread while two tabs replicate; JSON on the last line.",
  {
    runs: { type: 'count', default: 5, help: 'runs' },
    entries: { type: 'count', default: 100_000, help: 'entries of 100 B appended per run' },
    'keep-traces': { type: 'boolean', help: 'keep the trace files and print where' },
  },
)
const { runs, entries } = flags
const keepTraces = flags['keep-traces']
const log = (...parts) => console.error('[bench:budget]', ...parts)
/** The page's console.timeStamp label at the start of a run (budget-page.ts). */
const STAMP = 'meshlog-budget-start'

/**
 * Each long task with what the trace says of it: the ms of V8 garbage
 * collection inside it, the main thread's CPU ms in its outermost task
 * (far below the duration: the thread was waiting for a core) and what
 * that task ran (a timer, a message, a GC job). The page stamps the trace
 * (console.timeStamp) when the run starts, which maps its clock onto the
 * trace's.
 */
function attribute(tracePath, longTasks) {
  const raw = JSON.parse(readFileSync(tracePath, 'utf8'))
  const events = Array.isArray(raw) ? raw : raw.traceEvents
  const stamp = events.find((e) => e.name === 'TimeStamp' && e.args?.data?.message === STAMP)
  const unknown = { gcMs: null, cpuMs: null, ran: null }
  if (stamp === undefined)
    return longTasks.map(([start, duration]) => ({ start, duration, ...unknown }))
  const main = events.filter((e) => e.ph === 'X' && e.pid === stamp.pid && e.tid === stamp.tid)
  const gcs = main.filter((e) => e.name === 'MinorGC' || e.name === 'MajorGC')
  const tasks = main.filter((e) => e.name === 'ThreadControllerImpl::RunTask')
  const overlap = (e, from, to) => Math.max(0, Math.min(to, e.ts + e.dur) - Math.max(from, e.ts))
  return longTasks.map(([start, duration]) => {
    const from = stamp.ts + start * 1000
    const to = from + duration * 1000
    const gcMicros = gcs.reduce((sum, g) => sum + overlap(g, from, to), 0)
    const task = tasks.reduce(
      (best, t) => (overlap(t, from, to) > overlap(best, from, to) ? t : best),
      tasks[0],
    )
    const traced = task !== undefined && overlap(task, from, to) > 0
    return {
      start,
      duration,
      gcMs: Math.round(gcMicros / 1000),
      cpuMs: traced && task.tdur !== undefined ? Math.round(task.tdur / 1000) : null,
      ran: traced ? (task.args?.src_func ?? null) : null,
    }
  })
}

const served = await serveBenchPage('budget')
let browser
try {
  browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
  const page = await browser.newPage()
  await page.goto(served.url)
  await page.waitForFunction(() => window.budgetBench !== undefined)
  const results = []
  for (let i = 0; i < runs; i++) {
    const tracePath = join(served.dir, `run-${i}.json`)
    await browser.startTracing(page, {
      path: tracePath,
      categories: ['devtools.timeline', 'v8', 'toplevel'],
    })
    const result = await page.evaluate(([n]) => window.budgetBench.run(n, 100, 1000, 4), [entries])
    await browser.stopTracing()
    const entry = { ...result, longTasks: attribute(tracePath, result.longTasks) }
    log(`run ${i + 1}`, JSON.stringify(entry))
    results.push(entry)
  }
  const all = results.flatMap((r) => r.longTasks)
  const gc = all.filter((t) => t.gcMs !== null && t.gcMs * 2 >= t.duration)
  const waiting = all.filter((t) => !gc.includes(t) && t.cpuMs !== null && t.cpuMs * 2 < t.duration)
  const other = all.filter((t) => !gc.includes(t) && !waiting.includes(t))
  const delivered = results.map((r) => r.deliveredMs).sort((a, b) => a - b)
  console.log(
    JSON.stringify({
      bench: 'budget',
      browser: `chromium ${browser.version()}`,
      entries,
      payloadBytes: 100,
      runs,
      runs_without_long_task: results.filter((r) => r.longTasks.length === 0).length,
      long_tasks: all.length,
      long_tasks_gc: gc.length,
      long_tasks_waiting_for_cpu: waiting.length,
      long_tasks_other: other.length,
      longest_other_ms: Math.max(0, ...other.map((t) => t.duration)),
      delivered_ms_p50: delivered[Math.floor(delivered.length / 2)],
    }),
  )
} finally {
  await browser?.close()
  await served.close({ keep: keepTraces })
  if (keepTraces) log(`traces kept in ${served.dir} (open in chrome://tracing or Perfetto)`)
}
