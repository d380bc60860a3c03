#!/usr/bin/env node
// `npm run bench:wire` (when wired into package.json) / `node bench/wire/run.mjs`:
// throughput between two headless Chromium pages, one way, 16 KiB messages:
//   raw   — an RTCDataChannel (SDP copied between the pages by this script)
//   link  — a meshlog link (/meshlog/1.0.0 on libp2p WebRTC, through the relay)
//   stream — a bare libp2p stream on the same WebRTC connection (the link's floor)
// Progress goes to stderr; the last line of stdout is one JSON object.
// `--mb N` sets the volume (default 32 MiB), `--size N` the message size,
// `--runs N` how many measured transfers per variant (median reported, default 3).
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright'
import { build, preview } from 'vite'
import { chromiumLaunchOptions } from '../../scripts/browsers.mjs'

const root = fileURLToPath(new URL('../..', import.meta.url))
const arg = (name, fallback) => {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}
const size = arg('--size', 16 << 10)
const count = Math.ceil((arg('--mb', 32) * (1 << 20)) / size)
const total = count * size
const runs = arg('--runs', 3)
const log = (...parts) => console.error('[bench:wire]', ...parts)

async function startRelay() {
  const child = spawn(process.execPath, [join(root, 'scripts/meshlog-relay.mjs'), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const multiaddr = await new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      const entry = JSON.parse(line)
      if (entry.event === 'relay-listening') resolve(entry.multiaddr)
    })
  })
  return { child, multiaddr }
}

async function until(page, predicate, arg, timeout = 60_000) {
  await page.waitForFunction(predicate, arg, { timeout, polling: 50 })
}

/** Sends `messages` from `a` and resolves when `b` has them all: [sendStartedAt, lastArrivedAt]. */
async function transfer(a, b, send, messages) {
  await Promise.all([a, b].map((p) => p.evaluate(() => window.wireBench.reset())))
  const started = await send(messages)
  await until(b, (n) => window.wireBench.progress().received >= n, messages * size, 10 * 60_000)
  const { lastAt } = await b.evaluate(() => window.wireBench.progress())
  return [started, lastAt]
}

/**
 * MB/s of `total` bytes: the median of `runs` transfers, after an unmeasured
 * 2 MiB (a new connection starts slow).
 */
async function measure(a, b, send) {
  await transfer(a, b, send, Math.ceil((2 << 20) / size))
  const times = []
  for (let run = 0; run < runs; run++) {
    const [started, lastAt] = await transfer(a, b, send, count)
    times.push(lastAt - started)
  }
  const ms = times.sort((x, y) => x - y)[Math.floor(times.length / 2)]
  return { ms, runs: times, mbPerSec: Number((total / (1 << 20) / (ms / 1000)).toFixed(1)) }
}

const outDir = mkdtempSync(join(tmpdir(), 'meshlog-wire-bench-'))
const relay = await startRelay()
let server
let browser
try {
  await build({
    configFile: false,
    root: join(root, 'bench/wire'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  })
  server = await preview({
    configFile: false,
    root,
    logLevel: 'warn',
    build: { outDir },
    preview: { port: 0, host: '127.0.0.1' },
  })
  const url = server.resolvedUrls?.local[0]
  browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
  const context = await browser.newContext()
  const [a, b] = await Promise.all([context.newPage(), context.newPage()])
  await Promise.all(
    [a, b].map(async (p) => {
      await p.goto(url)
      await until(p, () => window.wireBench !== undefined)
    }),
  )

  log(`raw RTCDataChannel: ${count} × ${size} B`)
  const offer = await a.evaluate(() => window.wireBench.rawOffer())
  const answer = await b.evaluate((o) => window.wireBench.rawAnswer(o), offer)
  await a.evaluate((s) => window.wireBench.rawComplete(s), answer)
  await Promise.all([a, b].map((p) => until(p, () => window.wireBench.rawReady())))
  const raw = await measure(a, b, () =>
    a.evaluate(([n, s]) => window.wireBench.rawSend(n, s), [count, size]),
  )
  log('raw', raw)

  log('meshlog link over libp2p WebRTC')
  const slot = `wire-${Date.now()}`
  const ids = await Promise.all(
    [a, b].map((p, i) =>
      p.evaluate(([r, s]) => window.wireBench.meshStart(r, s), [relay.multiaddr, `${slot}-${i}`]),
    ),
  )
  await until(a, (peer) => window.wireBench.linkKind(peer) === 'webrtc', ids[1])
  await until(b, (peer) => window.wireBench.linkKind(peer) === 'webrtc', ids[0])
  const link = await measure(a, b, () =>
    a.evaluate(([peer, n, s]) => window.wireBench.linkSend(peer, n, s), [ids[1], count, size]),
  )
  log('link', link)
  const stream = await measure(a, b, (n) =>
    a.evaluate(([peer, n, s]) => window.wireBench.streamSend(peer, n, s), [ids[1], n, size]),
  )
  log('bare libp2p stream', stream)

  console.log(
    JSON.stringify({
      bench: 'wire',
      browser: `chromium ${browser.version()}`,
      messageBytes: size,
      totalBytes: total,
      rawDataChannel: raw,
      meshlogLink: link,
      bareLibp2pStream: stream,
      linkOverRaw: Number((link.mbPerSec / raw.mbPerSec).toFixed(2)),
    }),
  )
} finally {
  await browser?.close()
  await server?.close()
  relay.child.kill('SIGTERM')
  rmSync(outDir, { recursive: true, force: true })
}
