#!/usr/bin/env node
// `npm run test:sim`: the deterministic simulator (src/core/sim) over many
// seeds of its random scenario, on worker threads; or one seed, verbosely.
//
//   npm run test:sim -- --seeds 200 [--from 1] [--jobs 2]
//   npm run test:sim -- --seed 17
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

async function loadSim() {
  const { module } = await runnerImport(ENTRY, { configFile: false, logLevel: 'error' })
  return module
}

if (!isMainThread) {
  const sim = await loadSim()
  parentPort.on('message', async (seed) => {
    if (seed === null) {
      parentPort.close()
      return
    }
    parentPort.postMessage(await sim.runSeed(seed))
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
  return new Promise((resolve, reject) => {
    const reports = new Map()
    const queue = [...seeds]
    let violations = 0
    let running = jobs
    const started = Date.now()
    for (let j = 0; j < jobs; j++) {
      const worker = new Worker(fileURLToPath(import.meta.url))
      const next = () => worker.postMessage(queue.length > 0 ? queue.shift() : null)
      worker.on('message', (message) => {
        if (message !== 'ready') {
          reports.set(message.seed, message)
          if (!message.ok) {
            violations += 1
            for (const line of violationLines(message)) console.log(line)
          }
          if (reports.size % 25 === 0 || reports.size === seeds.length) {
            const seconds = ((Date.now() - started) / 1000).toFixed(1)
            console.log(
              `sim: ${reports.size}/${seeds.length} seeds, ${violations} violations (${seconds} s)`,
            )
          }
        }
        next()
      })
      worker.on('error', reject)
      worker.on('exit', () => {
        running -= 1
        if (running === 0) resolve(seeds.map((seed) => reports.get(seed)).filter(Boolean))
      })
    }
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
