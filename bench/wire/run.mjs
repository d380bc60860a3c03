#!/usr/bin/env node
// `npm run bench:wire`: two headless Chromium pages on one machine.
//   raw    — an RTCDataChannel, 16 KiB messages (SDP copied between the pages by this script)
//   meshlog replication — a leader page appends entries to a channel through
//            MeshLog (worker, IndexedDB, frame port, /meshlog/1.0.0 link); the
//            other page's worker pulls them, stores them, and the page sees its
//            tail reach the end. 100 B and 4 KiB entries over direct WebRTC,
//            4 KiB entries over the relayed circuit (WebRTC off on both pages).
//   latency — measured first: 100 appends/s of 100 B, each stamped with Date.now(); the
//            replica page subscribes and notes each one's age on arrival.
// Progress goes to stderr; the second-to-last line of stdout has the details,
// the last one the summary JSON. MB = 2^20 bytes of payload.
// Flags: `npm run bench:wire -- --help`.
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright'
import { chromiumLaunchOptions } from '../../scripts/browsers.mjs'
import { benchArgs, stopOnSignal } from '../bench-args.mjs'
import { serveBenchPage } from '../bench-page.mjs'

const flags = benchArgs(
  'bench:wire',
  'Replication between two Chromium pages against a raw RTCDataChannel; JSON on the last line.',
  {
    mb: { type: 'number', default: 50, help: 'MB of payload per variant' },
    runs: { type: 'count', default: 3, help: 'raw channel runs, median taken' },
    repeat: { type: 'count', default: 3, help: '100 B runs, median taken' },
    latency: { type: 'count', default: 500, help: 'paced appends of the latency run' },
    'chunk-kib': { type: 'count', default: 1024, help: "replicas' largest chunk, KiB" },
    group: { type: 'count', help: 'writes a signature covers; 32 unless given' },
    unsigned: { type: 'boolean', help: 'entries without signatures (signEntries: false)' },
    'latency-only': { type: 'boolean', help: 'stop after the latency run, print its JSON' },
    'one-context': { type: 'boolean', help: 'both pages in one browser context' },
    layers: { type: 'boolean', help: 'also time a bare libp2p stream and a link per message size' },
    'frame-kib': { type: 'count', default: 16, help: 'frames of the --layers runs, KiB' },
    trace: { type: 'string', value: 'FILE', help: 'a Chromium trace of the 100 B run' },
  },
)
const root = fileURLToPath(new URL('../..', import.meta.url))
const size = 16 << 10
const volumeMb = flags.mb
const count = Math.ceil((volumeMb * (1 << 20)) / size)
const total = count * size
const runs = flags.runs
const repeats = flags.repeat
const latencyCount = flags.latency
const chunkBytes = flags['chunk-kib'] * 1024
const signed = !flags.unsigned
const groupSize = flags.group
const latencyOnly = flags['latency-only']
const shared = flags['one-context']
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

/** Sends `messages` of `bytes` from `a` and resolves when `b` has them all: [sendStartedAt, lastArrivedAt]. */
async function transfer(a, b, send, messages, bytes) {
  await Promise.all([a, b].map((p) => p.evaluate(() => window.wireBench.reset())))
  const started = await send(messages)
  await until(b, (n) => window.wireBench.progress().received >= n, messages * bytes, 10 * 60_000)
  const { lastAt } = await b.evaluate(() => window.wireBench.progress())
  return [started, lastAt]
}

/**
 * MB/s of `total` bytes in messages of `bytes`: the median of `runs`
 * transfers, after an unmeasured 2 MiB (a new connection starts slow).
 */
async function measure(a, b, send, bytes = size) {
  await transfer(a, b, send, Math.ceil((2 << 20) / bytes), bytes)
  const times = []
  const messages = Math.ceil(total / bytes)
  const cpuBefore = machineCpuMs()
  for (let run = 0; run < runs; run++) {
    const [started, lastAt] = await transfer(a, b, send, messages, bytes)
    times.push(lastAt - started)
  }
  const cpuMs = cpuBefore === undefined ? undefined : (machineCpuMs() ?? 0) - cpuBefore
  const ms = times.sort((x, y) => x - y)[Math.floor(times.length / 2)]
  const moved = messages * bytes
  return {
    ms,
    runs: times,
    mbPerSec: Number((moved / (1 << 20) / (ms / 1000)).toFixed(1)),
    ...(cpuMs === undefined
      ? {}
      : { cpuMsPerMb: Math.round(cpuMs / ((runs * moved) / (1 << 20))) }),
  }
}

const mbPerSec = (bytes, ms) => Number((bytes / (1 << 20) / (ms / 1000)).toFixed(2))
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]

/** Starts MeshLog `name` on both pages in a fresh room; waits for a leader and a link of `kind`. */
async function logPair(a, b, name, webRTC) {
  const room = `${name}-${Date.now()}`
  const ids = await Promise.all(
    [a, b].map((p, i) =>
      p.evaluate(
        ([n, r, room, w, c, sig, g]) =>
          window.wireBench.logStart(n, r, room, w, c, sig, g ?? undefined),
        [`${name}${i}`, relay.multiaddr, room, webRTC, chunkBytes, signed, groupSize ?? null],
      ),
    ),
  )
  const kind = webRTC ? 'webrtc' : 'relayed'
  const deadline = Date.now() + 60_000
  for (;;) {
    const views = await Promise.all(
      [a, b].map((p, i) =>
        p.evaluate(([n, peer]) => window.wireBench.logView(n, peer), [`${name}${i}`, ids[1 - i]]),
      ),
    )
    const leaderAt = views.findIndex((v) => v.role === 'leader')
    const follower = views[1 - leaderAt]
    if (
      leaderAt >= 0 &&
      views.every((v) => v.kind === kind) &&
      follower?.role === 'replica' &&
      follower.leader === ids[leaderAt]
    ) {
      const pages = leaderAt === 0 ? [a, b] : [b, a]
      const names = leaderAt === 0 ? [`${name}0`, `${name}1`] : [`${name}1`, `${name}0`]
      // The link's RTT as the leader sees it now (its last ping; links ping every 5 s).
      const rttNow = async () =>
        (
          await pages[0].evaluate(
            ([n, peer]) => window.wireBench.logView(n, peer),
            [names[0], ids[1 - leaderAt]],
          )
        ).rtt
      return { leader: pages[0], replica: pages[1], names, rtt: views[0]?.rtt, rttNow }
    }
    if (Date.now() > deadline)
      throw new Error(`no ${kind} pair with a leader: ${JSON.stringify(views)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/** Payload MB/s of `volumeMb` in entries of `entryBytes`, appended by the leader until the replica holds them all. */
/** CPU time (user + system) the machine spent since boot, in ms; undefined off Linux. */
function machineCpuMs() {
  try {
    const [user, nice, system] = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number)
    // /proc/stat counts in USER_HZ ticks, 1/100 s on Linux.
    return ((user + nice + system) * 1000) / 100
  } catch {
    return undefined
  }
}

async function replicate(pair, entryBytes, batch, mb = volumeMb) {
  const { leader, replica, names } = pair
  const entries = Math.floor((mb * (1 << 20)) / entryBytes)
  const tail = await replica.evaluate((n) => window.wireBench.logTail(n), names[1])
  const cpuBefore = machineCpuMs()
  const reached = replica.evaluate(
    ([n, t]) => window.wireBench.logWaitTail(n, t),
    [names[1], tail + entries],
  )
  const appended = await leader.evaluate(
    ([n, c, s, b]) => window.wireBench.logAppend(n, c, s, b),
    [names[0], entries, entryBytes, batch],
  )
  const doneAt = await reached
  const cpuMs = cpuBefore === undefined ? undefined : (machineCpuMs() ?? 0) - cpuBefore
  const ms = doneAt - appended.startedAt
  const result = {
    entryBytes,
    entries,
    ms,
    appendMs: appended.endedAt - appended.startedAt,
    mbPerSec: mbPerSec(entries * entryBytes, ms),
    // Every process's CPU while the run went (Linux): steadier than MB/s on a busy machine.
    ...(cpuMs === undefined
      ? {}
      : { cpuMsPerMb: Math.round(cpuMs / ((entries * entryBytes) / (1 << 20))) }),
  }
  log('replicated', result)
  await logCounters(pair)
  return result
}

/**
 * 2 MiB replicated and not measured, as the raw channel gets: a link that
 * sat idle (or is new) restarts slow, and the first appends pay for it.
 */
async function warmUp(pair, entryBytes, batch) {
  log('warm-up, not measured')
  await replicate(pair, entryBytes, batch, 2)
}

/**
 * The 100 B variant `--repeat N` times (default 3) over the same pair, each
 * appending the volume again: the median run, with every run's MB/s.
 */
async function replicateMedian(pair, entryBytes, batch) {
  await warmUp(pair, entryBytes, batch)
  const results = []
  for (let run = 0; run < repeats; run++) results.push(await replicate(pair, entryBytes, batch))
  const median = [...results].sort((x, y) => x.mbPerSec - y.mbPerSec)[Math.floor(repeats / 2)]
  return repeats === 1
    ? median
    : {
        ...median,
        runs: results.map((r) => r.mbPerSec),
        cpuMsPerMbRuns: results.map((r) => r.cpuMsPerMb),
      }
}

/** Each side's replication counters (cumulative since the pair started), to stderr. */
async function logCounters({ leader, replica, names }) {
  for (const [page, name] of [
    [leader, names[0]],
    [replica, names[1]],
  ]) {
    log(name, JSON.stringify(await page.evaluate((n) => window.wireBench.logCounters(n), name)))
  }
}

async function latency(pair) {
  const { leader, replica, names } = pair
  await replica.evaluate((n) => window.wireBench.logLatencyStart(n), names[1])
  const acks = await leader.evaluate(
    ([n, c]) => window.wireBench.logPaced(n, c, 10),
    [names[0], latencyCount],
  )
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    if ((await replica.evaluate(() => window.wireBench.logLatencyCount())) >= latencyCount) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const samples = await replica.evaluate(() => window.wireBench.logLatencyStop())
  const sorted = [...samples].sort((x, y) => x - y)
  const acked = [...acks].sort((x, y) => x - y)
  return {
    samples: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
    // Append → acknowledged on the leader (its own durable commit): part of every sample.
    ackP50: percentile(acked, 50),
    ackP99: percentile(acked, 99),
  }
}

const tracePath = flags.trace
/**
 * `--layers`: the same volume through each layer under replication, on a
 * fresh pair of libp2p nodes per data-channel message size: a bare libp2p
 * stream and a meshlog link (credit, framing), `--frame-kib` frames.
 */
async function layers(a, b) {
  const frame = flags['frame-kib'] << 10
  for (const maxMessageSize of [16 << 10, 64 << 10, 256 << 10]) {
    const slot = `layers-${maxMessageSize}-${Date.now()}`
    const ids = await Promise.all(
      [a, b].map((p, i) =>
        p.evaluate(
          ([r, s, m]) => window.wireBench.meshStart(r, s, m),
          [relay.multiaddr, `${slot}-${i}`, maxMessageSize],
        ),
      ),
    )
    await until(a, (peer) => window.wireBench.linkKind(peer) === 'webrtc', ids[1])
    await until(b, (peer) => window.wireBench.linkKind(peer) === 'webrtc', ids[0])
    const stream = await measure(
      a,
      b,
      (n) => a.evaluate(([p, n, s]) => window.wireBench.streamSend(p, n, s), [ids[1], n, frame]),
      frame,
    )
    const link = await measure(
      a,
      b,
      (n) => a.evaluate(([p, n, s]) => window.wireBench.linkSend(p, n, s), [ids[1], n, frame]),
      frame,
    )
    log(`layers, ${maxMessageSize} B messages, ${frame} B frames`, {
      stream: stream.mbPerSec,
      link: link.mbPerSec,
    })
    await Promise.all([a, b].map((p) => p.evaluate(() => window.wireBench.meshStop())))
  }
}

const relay = await startRelay()
let served
let browser
stopOnSignal(async () => {
  relay.child.kill('SIGTERM')
  await served?.close()
})
try {
  // A traced run keeps function names readable in the profile.
  served = await serveBenchPage('wire', { minify: tracePath === undefined })
  const { url } = served
  browser = await chromium.launch({ ...chromiumLaunchOptions(), headless: true })
  // Each page in a browser context of its own, as two peers on two devices:
  // its own IndexedDB (pages of one context share one IndexedDB backend, so
  // each side's commits would wait on the other's), storage and locks.
  const contexts = [shared ? undefined : await browser.newContext(), await browser.newContext()]
  const [a, b] = await Promise.all(contexts.map((context) => (context ?? contexts[1]).newPage()))
  for (const [i, p] of [a, b].entries()) {
    p.on('pageerror', (err) =>
      log(
        `page ${i} error: ${err.name}: ${err.message} ${err.stack?.split('\n')[1]?.trim() ?? ''}`,
      ),
    )
  }
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
  const raw = await measure(a, b, (n) =>
    a.evaluate(([n, s]) => window.wireBench.rawSend(n, s), [n, size]),
  )
  log('raw', raw)
  // The link's own round trip, for the latency goal (2 RTT + 5 ms): 200 pings on the raw channel.
  await b.evaluate(() => window.wireBench.rawEcho())
  const rawRtts = (await a.evaluate(() => window.wireBench.rawPing(200))).sort((x, y) => x - y)
  const rawRtt = {
    p50: Number(percentile(rawRtts, 50).toFixed(1)),
    p99: Number(percentile(rawRtts, 99).toFixed(1)),
  }
  log('raw RTT p50/p99', rawRtt)

  if (flags.layers) await layers(a, b)

  log('meshlog replication over direct WebRTC')
  const rtc = await logPair(a, b, 'rtc', true)
  log('link RTT', rtc.rtt)
  // Latency first, at a light load on a quiet machine: right after the bulk
  // runs the disk is still writing back their tens of MB, and a strict
  // IndexedDB commit then takes 100+ ms now and then (p99 450-650 ms).
  const lat = await latency(rtc)
  log('latency', lat)
  await logCounters(rtc)
  const latencyFigures = {
    ...lat,
    appendsPerSecond: 100,
    // At link-up (busy with the election) and after the light-load run.
    linkRttMs: rtc.rtt,
    linkRttAfterMs: await rtc.rttNow(),
    rawRttP50Ms: rawRtt.p50,
    rawRttP99Ms: rawRtt.p99,
  }
  if (latencyOnly) {
    console.log(
      JSON.stringify({
        bench: 'wire-latency',
        browserContexts: shared ? 1 : 2,
        signed,
        latency: latencyFigures,
      }),
    )
  } else await throughput(a, b, raw, rtc, latencyFigures)
} finally {
  await browser?.close()
  await served?.close()
  relay.child.kill('SIGTERM')
}

/** The bulk runs after the latency one: 100 B and 4 KiB over WebRTC, 4 KiB relayed; prints both JSON lines. */
async function throughput(a, b, raw, rtc, latencyFigures) {
  // `--trace FILE`: a Chromium performance trace of the 100 B run (every page and worker thread).
  if (tracePath !== undefined) {
    await browser.startTracing(a, {
      path: tracePath,
      categories: ['toplevel', 'devtools.timeline', 'v8', 'disabled-by-default-v8.cpu_profiler'],
    })
  }
  const webrtc100 = await replicateMedian(rtc, 100, 4096)
  if (tracePath !== undefined) await browser.stopTracing()
  const webrtc4k = await replicate(rtc, 4096, 1024)
  await logCounters(rtc)

  log('meshlog replication over the relayed circuit')
  const relayed = await logPair(a, b, 'relayed', false)
  await warmUp(relayed, 4096, 1024)
  const relayed4k = await replicate(relayed, 4096, 1024)

  const summary = {
    mb_per_s_webrtc_100b: webrtc100.mbPerSec,
    mb_per_s_webrtc_4k: webrtc4k.mbPerSec,
    raw_datachannel_mb_per_s: raw.mbPerSec,
    ratio: Number((webrtc100.mbPerSec / raw.mbPerSec).toFixed(2)),
    mb_per_s_relayed: relayed4k.mbPerSec,
    latency_p50_ms: latencyFigures.p50,
    latency_p99_ms: latencyFigures.p99,
  }
  console.log(
    JSON.stringify({
      bench: 'wire',
      browser: `chromium ${browser.version()}`,
      volumeMb,
      browserContexts: shared ? 1 : 2,
      signed,
      ...(signed ? { signatureGroupSize: groupSize ?? 32 } : {}),
      rawDataChannel: raw,
      webrtc100,
      webrtc4k,
      relayed4k,
      latency: latencyFigures,
    }),
  )
  console.log(JSON.stringify(summary))
}
