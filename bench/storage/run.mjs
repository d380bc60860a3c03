#!/usr/bin/env node
// `npm run bench:storage`: serves bench/storage/ with Vite, runs the page in
// headless Chromium, streams its progress, and prints the result as the
// last line of output (one JSON object). `--entries N` shrinks the run
// (`--help` lists the flags).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright'
import { createServer } from 'vite'
import { chromiumLaunchOptions } from '../../scripts/browsers.mjs'
import { benchArgs } from '../bench-args.mjs'

const { entries } = benchArgs(
  'bench:storage',
  'IndexedDB log store throughput in headless Chromium; JSON on the last line.',
  { entries: { type: 'count', default: 100_000, help: 'entries written and read' } },
)

const server = await createServer({
  configFile: false,
  root: process.cwd(),
  logLevel: 'warn',
  server: { host: '127.0.0.1', port: 0 },
})
await server.listen()
const base = server.resolvedUrls?.local[0]
// A real on-disk profile: an incognito context keeps IndexedDB in memory with a small quota.
const profile = mkdtempSync(join(tmpdir(), 'meshlog-bench-'))
const context = await chromium.launchPersistentContext(profile, {
  ...chromiumLaunchOptions(),
  headless: true,
})
try {
  const page = context.pages()[0] ?? (await context.newPage())
  page.on('console', (message) => console.error(`[page] ${message.text()}`))
  await page.goto(`${base}bench/storage/index.html?entries=${entries}`)
  await page.waitForFunction(() => window.benchResult ?? window.benchError, undefined, {
    timeout: 15 * 60_000,
    polling: 500,
  })
  const error = await page.evaluate(() => window.benchError)
  if (error) throw new Error(`benchmark failed in the page:\n${error}`)
  const result = await page.evaluate(() => window.benchResult)
  console.log(
    JSON.stringify({ ...result, browser: `chromium ${context.browser()?.version() ?? ''}`.trim() }),
  )
} finally {
  await context.close()
  await server.close()
  rmSync(profile, { recursive: true, force: true })
}
