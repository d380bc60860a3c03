#!/usr/bin/env node
// `npm run bench:signing`: µs per 100-byte entry to sign and to verify, per
// Ed25519 implementation (@noble/curves, WebCrypto batched, @libp2p/crypto),
// in Node and in a module Web Worker of headless Chromium and Firefox.
// Progress goes to stderr; the last line of stdout is one JSON object.
// `--entries N` sets the entries per measurement (default 4096; noble 512).
// `--batch N` sets how many entries are signed or verified at once (default 256);
// `--no-firefox` skips Firefox; `--only node|chromium|firefox` runs one runtime.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, firefox } from 'playwright'
import { build, createServer, preview } from 'vite'
import { chromiumLaunchOptions, firefoxLaunchOptions } from '../../scripts/browsers.mjs'

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

const outDir = mkdtempSync(join(tmpdir(), 'meshlog-signing-bench-'))
let server
try {
  await build({
    configFile: false,
    root: join(root, 'bench/signing'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 2048 },
    worker: { format: 'es' },
  })
  server = await preview({
    configFile: false,
    root,
    logLevel: 'warn',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1' },
  })
  const url = server.resolvedUrls?.local[0]
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
  await server?.close()
  rmSync(outDir, { recursive: true, force: true })
}
console.log(JSON.stringify({ bench: 'signing', results }))
