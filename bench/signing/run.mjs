#!/usr/bin/env node
import { fileURLToPath } from 'node:url'
import { chromium, firefox } from 'playwright'
import { createServer } from 'vite'
import { chromiumLaunchOptions, firefoxLaunchOptions } from '../../scripts/browsers.mjs'
import { serveBenchPage } from '../bench-page.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const at = process.argv.indexOf('--entries')
const entries = at > 0 ? Number(process.argv[at + 1]) : 4096
const withFirefox = !process.argv.includes('--no-firefox')
const only = process.argv.includes('--only')
  ? process.argv[process.argv.indexOf('--only') + 1]
  : undefined
const atBatch = process.argv.indexOf('--batch')
const batch = atBatch > 0 ? Number(process.argv[atBatch + 1]) : undefined
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
    return await page.evaluate(([r, b]) => window.signingBench(r, b), [runtime, batch])
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
