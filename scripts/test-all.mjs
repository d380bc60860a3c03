#!/usr/bin/env node
// `npm test`: every suite in turn — static checks, unit (Node), browser
// (Chromium and Firefox), simulation and end to end — then one line summing
// them all: `N passed, N failed, N skipped`. The simulation counts each seed
// as a test. Exits non-zero on any failure.
// A suite that crashes before reporting counts as one failure.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const args = process.argv.slice(2)
if (args.length > 0) {
  const usage =
    'usage: npm test\nRuns every suite (see scripts/test-all.mjs); one suite alone: see "Running one suite" in README.md.'
  if (args.every((arg) => arg === '--help' || arg === '-h')) {
    console.log(usage)
    process.exit(0)
  }
  console.error(`npm test takes no flags (${args.join(' ')})\n\n${usage}`)
  process.exit(2)
}

const RESULTS = '.vitest-results'
rmSync(RESULTS, { recursive: true, force: true })
mkdirSync(RESULTS, { recursive: true })

const vitestJson = (project) => ({
  command: [
    'npx',
    'vitest',
    'run',
    '--project',
    project,
    '--reporter=verbose',
    '--reporter=json',
    `--outputFile.json=${join(RESULTS, `${project}.json`)}`,
  ],
  count() {
    const file = join(RESULTS, `${project}.json`)
    if (!existsSync(file)) return undefined
    const report = JSON.parse(readFileSync(file, 'utf8'))
    return {
      passed: report.numPassedTests,
      failed: report.numFailedTests,
      skipped: report.numPendingTests + report.numTodoTests,
    }
  },
})

// The simulator's runner ends with a JSON line; each seed counts as a test:
// passed without a violation, failed with one.
const SIM_SEEDS = 200
const simulation = {
  command: ['npm', 'run', '--silent', 'test:sim', '--', '--seeds', String(SIM_SEEDS)],
  lastLine: true,
  count(_code, lastLine) {
    try {
      const { seeds, violations } = JSON.parse(lastLine ?? '')
      if (!Number.isSafeInteger(seeds) || !Number.isSafeInteger(violations)) return undefined
      return { passed: seeds - violations, failed: violations, skipped: 0 }
    } catch {
      return undefined
    }
  },
}

const check = (command) => ({
  command,
  count: (code) => ({ passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1, skipped: 0 }),
})

const SUITES = [
  { name: 'lint (biome)', ...check(['npx', 'biome', 'check', '.']) },
  { name: 'typecheck (tsc)', ...check(['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json']) },
  { name: 'import cycles (dpdm)', ...check(['npm', 'run', '--silent', 'check:cycles']) },
  { name: 'unit (node)', ...vitestJson('unit') },
  { name: 'browsers installed', ...check(['node', 'scripts/ensure-browsers.mjs']) },
  { name: 'browser (chromium, firefox)', ...vitestJson('browser') },
  { name: `simulation (${SIM_SEEDS} seeds)`, ...simulation },
  {
    name: 'e2e (playwright)',
    command: ['npx', 'playwright', 'test', '--reporter=list,json'],
    env: { PLAYWRIGHT_JSON_OUTPUT_NAME: join(RESULTS, 'e2e.json') },
    count() {
      const file = join(RESULTS, 'e2e.json')
      if (!existsSync(file)) return undefined
      const { stats } = JSON.parse(readFileSync(file, 'utf8'))
      return {
        passed: stats.expected + stats.flaky,
        failed: stats.unexpected,
        skipped: stats.skipped,
      }
    },
  },
]

/** Runs a suite; resolves with its exit code and, when asked, its last stdout line. */
function run(suite) {
  return new Promise((resolve) => {
    const [cmd, ...args] = suite.command
    const stdio = suite.lastLine ? ['inherit', 'pipe', 'inherit'] : 'inherit'
    const child = spawn(cmd, args, { stdio, env: { ...process.env, ...suite.env } })
    let tail = ''
    child.stdout?.on('data', (chunk) => {
      process.stdout.write(chunk)
      tail = (tail + chunk.toString()).slice(-65536)
    })
    const lastLine = () => tail.trimEnd().split('\n').pop()
    child.on('close', (code, signal) =>
      resolve({ code: code ?? (signal ? 1 : 0), lastLine: lastLine() }),
    )
    child.on('error', () => resolve({ code: 1, lastLine: undefined }))
  })
}

const totals = { passed: 0, failed: 0, skipped: 0 }
const lines = []
for (const suite of SUITES) {
  console.log(`\n=== ${suite.name}: ${suite.command.join(' ')}`)
  const started = Date.now()
  const { code, lastLine } = await run(suite)
  let counts = suite.count(code, lastLine)
  if (counts === undefined) counts = { passed: 0, failed: 1, skipped: 0 }
  // A runner that exits non-zero with no failing test (crash, unhandled error) still fails.
  if (code !== 0 && counts.failed === 0) counts = { ...counts, failed: 1 }
  for (const key of Object.keys(totals)) totals[key] += counts[key]
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  lines.push(
    `${suite.name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped (${seconds}s)`,
  )
}

console.log('\n=== summary')
for (const line of lines) console.log(line)
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`)
process.exit(totals.failed > 0 ? 1 : 0)
