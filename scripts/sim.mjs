#!/usr/bin/env node
// `npm run test:sim`: the deterministic simulator (src/core/sim) over many
// seeds of its random scenario, on worker threads; or one seed, verbosely.
//
//   npm run test:sim -- --seeds 200 [--from 1] [--jobs 2]
//   npm run test:sim -- --seed 17        (or SEED=17 npm run test:sim)
//
// The TypeScript runs as is through Vite's module runner (no build step;
// Node 20 cannot strip types). A violation prints its seed, invariant, the
// last trace lines and the command that replays it, and the exit code is 1.
// The last line is always the JSON summary.
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'
import { isMainThread, parentPort, Worker } from 'node:worker_threads'
import { runnerImport } from 'vite'

const ENTRY = fileURLToPath(new URL('../src/core/sim/sim-seeds.ts', import.meta.url))

// A seed that runs longer than this (real time) is a hang or a livelock: its
// worker is terminated and the seed reported as a violation.
const SEED_TIMEOUT_MS = 120_000

async function loadSim() {
  const { module } = await runnerImport(ENTRY, { configFile: false, logLevel: 'error' })
  return module
}

/** A report for a seed whose run did not end normally. */
function failedReport(seed, invariant, message) {
  return {
    seed,
    ok: false,
    invariant,
    message,
    digest: '',
    steps: 0,
    simulatedMs: 0,
    heartbeatMs: 1,
    recentTrace: [],
    counts: {},
  }
}

if (!isMainThread) {
  const sim = await loadSim()
  parentPort.on('message', async (seed) => {
    if (seed === null) {
      parentPort.close()
      return
    }
    try {
      parentPort.postMessage(await sim.runSeed(seed))
    } catch (error) {
      parentPort.postMessage(
        failedReport(seed, 'sim-error', `the run threw: ${error?.stack ?? error}`),
      )
    }
  })
  parentPort.postMessage('ready')
} else {
  await main()
}

function parseArgs(argv) {
  const options = { seeds: 50, from: 1, seed: undefined, jobs: Math.min(4, availableParallelism()) }
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]]
    const number = Number(value)
    if (
      !['--seeds', '--from', '--seed', '--jobs'].includes(flag) ||
      !Number.isSafeInteger(number)
    ) {
      console.error(`usage: npm run test:sim -- [--seeds N] [--from S] [--jobs J] | --seed S`)
      process.exit(2)
    }
    options[flag.slice(2)] = number
    i += 1
  }
  return options
}

async function main() {
  const options = parseArgs(process.argv.slice(2))
  if (options.seed === undefined && process.env.SEED !== undefined) {
    options.seed = Number(process.env.SEED)
    if (!Number.isSafeInteger(options.seed)) {
      console.error(`SEED must be an integer, got ${process.env.SEED}`)
      process.exit(2)
    }
  }
  const started = Date.now()
  if (options.seed !== undefined) {
    const sim = await loadSim()
    const report = await sim.runSeed(options.seed, (line) => console.log(line))
    if (!report.ok) for (const line of sim.describeViolation(report)) console.log(line)
    console.log(
      JSON.stringify({ ...sim.summarize([report], Date.now() - started), digest: report.digest }),
    )
    process.exit(report.ok ? 0 : 1)
  }
  const seeds = Array.from({ length: options.seeds }, (_, i) => options.from + i)
  const reports = await runOnWorkers(seeds, Math.max(1, Math.min(options.jobs, seeds.length)))
  const sim = await loadSim()
  const summary = sim.summarize(reports, Date.now() - started)
  console.log(JSON.stringify(summary))
  process.exit(summary.violations === 0 ? 0 : 1)
}

/** Hands seeds out one at a time (runs differ in length); reports come back in seed order. */
function runOnWorkers(seeds, jobs) {
  return new Promise((resolve) => {
    const reports = new Map()
    const queue = [...seeds]
    const started = Date.now()
    let violations = 0
    let running = 0
    const record = (report) => {
      reports.set(report.seed, report)
      if (!report.ok) {
        violations += 1
        for (const line of violationLines(report)) console.log(line)
      }
      if (reports.size % 25 === 0 || reports.size === seeds.length) {
        const seconds = ((Date.now() - started) / 1000).toFixed(1)
        console.log(
          `sim: ${reports.size}/${seeds.length} seeds, ${violations} violations (${seconds} s)`,
        )
      }
    }
    const startWorker = () => {
      running += 1
      const worker = new Worker(fileURLToPath(import.meta.url))
      let current
      let watchdog
      const next = () => {
        current = queue.shift()
        if (current === undefined) {
          worker.postMessage(null)
          return
        }
        watchdog = setTimeout(() => {
          record(failedReport(current, 'timeout', `did not finish within ${SEED_TIMEOUT_MS} ms`))
          current = undefined
          void worker.terminate()
        }, SEED_TIMEOUT_MS)
        worker.postMessage(current)
      }
      worker.on('message', (message) => {
        clearTimeout(watchdog)
        if (message !== 'ready') record(message)
        next()
      })
      worker.on('error', (error) => {
        clearTimeout(watchdog)
        if (current !== undefined) record(failedReport(current, 'sim-error', String(error)))
        current = undefined
      })
      worker.on('exit', () => {
        clearTimeout(watchdog)
        running -= 1
        if (queue.length > 0) startWorker()
        else if (running === 0) resolve(seeds.map((seed) => reports.get(seed)).filter(Boolean))
      })
    }
    for (let j = 0; j < jobs; j++) startWorker()
  })
}

// The same lines as sim-seeds' describeViolation (this thread has not loaded it).
function violationLines(report) {
  return [
    `seed ${report.seed} VIOLATED ${report.message}`,
    ...report.recentTrace.map((line) => `    ${line}`),
    `  replay: npm run test:sim -- --seed ${report.seed}`,
  ]
}
