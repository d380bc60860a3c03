#!/usr/bin/env node
import { fileURLToPath } from 'node:url'
import { chromium, firefox } from 'playwright'
import { createServer } from 'vite'
import { chromiumLaunchOptions, firefoxLaunchOptions } from '../../scripts/browsers.mjs'
import { benchArgs } from '../bench-args.mjs'
import { serveBenchPage } from '../bench-page.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const flags = benchArgs(
  'bench:signing',
  'Signing and verifying 100-byte entries in Node, Chromium and Firefox; JSON on the last line.',
  {
    entries: { type: 'count', default: 4096, help: 'entries signed and verified per figure' },
    batch: { type: 'count', help: 'entries per signing call; 256 unless given' },
    only: { type: 'string', choices: ['node', 'chromium', 'firefox'], help: 'one runtime only' },
    'no-firefox': { type: 'boolean', help: 'skip Firefox' },
  },
)
const { entries, batch, only } = flags
const withFirefox = !flags['no-firefox']
const log = (...parts) => console.error('[bench:signing]', ...parts)

async function inNode() {
  const vite = await createServer({
    configFile: false,
    root,
    logLevel: 'warn',
    server: { middlewareMode: true, hmr: false },
    appType: 'custom',
  })
  try {
    const { runSigningBench } = await vite.ssrLoadModule('/bench/signing/signing-bench.ts')
    return await runSigningBench(`node ${process.versions.node}`, {
      entries,
      ...(batch === undefined ? {} : { batch }),
    })
  } finally {
    await vite.close()
  }
}

async function inBrowser(type, launchOptions, url) {
  const browser = await type.launch({ ...launchOptions, headless: true })
  try {
    const page = await browser.newPage()
    await page.goto(url)
    await page.waitForFunction(() => window.signingBench !== undefined)
    const runtime = `${type.name()} ${browser.version()} (worker)`
    const options = { entries, ...(batch === undefined ? {} : { batch }) }
    return await page.evaluate(([r, o]) => window.signingBench(r, o), [runtime, options])
  } finally {
    await browser.close()
  }
}

const results = []
const runs = (name) => only === undefined || only === name
if (runs('node')) {
  log('node')
  results.push(await inNode())
  log(JSON.stringify(results.at(-1)))
}

const served = await serveBenchPage('signing')
try {
  const { url } = served
  if (runs('chromium')) {
    log('chromium')
    results.push(await inBrowser(chromium, chromiumLaunchOptions(), url))
    log(JSON.stringify(results.at(-1)))
  }
  if (withFirefox && runs('firefox')) {
    log('firefox')
    results.push(await inBrowser(firefox, firefoxLaunchOptions(), url))
    log(JSON.stringify(results.at(-1)))
  }
} finally {
  await served.close()
}
console.log(JSON.stringify({ bench: 'signing', results }))
