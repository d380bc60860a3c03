/**
 * The meshlog half of `npm run bench:wire`, on each of the two pages: a
 * MeshLog joined to the mesh (direct WebRTC, or relayed only when WebRTC is
 * off), one channel whose replica set is the room. The leader appends a
 * volume of fixed-size entries as fast as durable appends go (a few batches
 * in flight); the other page notes when its local log reached the end. For
 * latency the leader appends one entry every `intervalMs` carrying its
 * `Date.now()`, and the other page subscribes and notes each one's age on
 * arrival (both pages share the machine's clock).
 */
import { MeshLog } from '../../src/client/mesh-log.js'

const logs = new Map<string, MeshLog>()
const latencies: number[] = []
let stopLatency: (() => Promise<void>) | undefined

function logFor(name: string): MeshLog {
  const log = logs.get(name)
  if (log === undefined) throw new Error(`no MeshLog ${name}`)
  return log
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

export const logBench = {
  async logStart(
    name: string,
    relay: string,
    room: string,
    webRTC: boolean,
    chunkMax = 1 << 20,
    signEntries = true,
    signatureGroupSize?: number,
  ): Promise<string> {
    const log = await MeshLog.create({
      namespace: `${name}-${room}`,
      signEntries,
      ...(signatureGroupSize === undefined ? {} : { signatureGroupSize }),
      tabLinks: false,
      mesh: { relay, room, iceServers: [], network: { webRTC } },
    })
    logs.set(name, log)
    // Catch-up as fast as the link allows: a budget far above it, large chunks.
    await log.open('bench', {
      replicaSet: 'room',
      entryEvents: false,
      peakBytesPerSecond: 1_000_000_000,
      chunkMax,
    })
    return log.peerId
  },

  /** Role, link kind to `peer` and its RTT. */
  async logView(name: string, peer: string) {
    const status = await logFor(name).status()
    const chat = status.channels.find((c) => c.channel === 'bench')
    const link = status.mesh?.peers.find((p) => p.peer === peer)?.link
    return {
      role: chat?.role,
      leader: chat?.leader ?? null,
      kind: link?.kind ?? null,
      rtt: link?.rtt ?? null,
      tail: chat?.nextSeq ?? 0,
    }
  },

  /** The channel's replication counters that explain a slow catch-up. */
  async logCounters(name: string) {
    const status = await logFor(name).status()
    const m = status.channels.find((c) => c.channel === 'bench')?.metrics
    return {
      role: m?.role,
      requests: m?.syncRequestsSentTotal,
      responses: m?.syncResponsesSentTotal,
      applied: m?.syncResponsesAppliedTotal,
      backoffSkips: m?.catchupBackoffSkipsTotal,
      emptyStrikes: m?.emptyResponseStrikesTotal,
      nacksSent: m?.nacksSent,
      nacksReceived: m?.nacksReceived,
      sendFailures: m?.sendFailures,
      drops: m?.drops,
      readAhead: m?.readAheadRequestsTotal,
      readAheadDiscarded: m?.readAheadDiscardedTotal,
      parkAhead: m?.parkAheadRequestsTotal,
      parked: m?.requestsParkedTotal,
      parkedServedByAppend: m?.parkedServedByAppendTotal,
      serveReadMs: Math.round(m?.serveReadMsTotal ?? 0),
      serveSendMs: Math.round(m?.serveSendMsTotal ?? 0),
      applyMs: Math.round(m?.applyMsTotal ?? 0),
      framePortRefusals: status.framePortRefusals,
      store: status.store,
    }
  },

  async logTail(name: string): Promise<number> {
    return (await logFor(name).stored('bench')).nextSeq
  },

  /**
   * Appends `count` entries of `size` bytes in batches of `batch`, at most
   * `inFlight` batches at once. Resolves with the start time.
   */
  async logAppend(
    name: string,
    count: number,
    size: number,
    batch: number,
    inFlight = 4,
  ): Promise<{ startedAt: number; endedAt: number }> {
    const log = logFor(name)
    const payloads = Array.from({ length: batch }, (_, i) => new Uint8Array(size).fill(i & 0xff))
    const startedAt = Date.now()
    let next = 0
    const lane = async (): Promise<void> => {
      while (next < count) {
        const n = Math.min(batch, count - next)
        next += n
        await log.appendMany('bench', n === batch ? payloads : payloads.slice(0, n), {
          timeoutMs: 120_000,
        })
      }
    }
    await Promise.all(Array.from({ length: inFlight }, lane))
    return { startedAt, endedAt: Date.now() }
  },

  /**
   * Resolves with `Date.now()` once the local log holds `tail` entries: on
   * the worker's `catch-up-progress` event that reaches it (polling the
   * worker every few ms would load the very threads being measured), with
   * a slow poll in case the last event came before we listened.
   */
  async logWaitTail(name: string, tail: number, timeoutMs = 600_000): Promise<number> {
    const log = logFor(name)
    return new Promise<number>((resolve, reject) => {
      const done = (at: number): void => {
        log.removeEventListener('catch-up-progress', onProgress)
        clearInterval(poll)
        clearTimeout(deadline)
        resolve(at)
      }
      const onProgress = (event: Event): void => {
        const { channel, tailSeq } = (event as CustomEvent<{ channel: string; tailSeq: number }>)
          .detail
        if (channel === 'bench' && tailSeq >= tail) done(Date.now())
      }
      log.addEventListener('catch-up-progress', onProgress)
      const poll = setInterval(() => {
        void log.stored('bench').then(({ nextSeq }) => {
          if (nextSeq >= tail) done(Date.now())
        })
      }, 250)
      const deadline = setTimeout(() => {
        log.removeEventListener('catch-up-progress', onProgress)
        clearInterval(poll)
        reject(new Error(`tail ${tail} not reached`))
      }, timeoutMs)
    })
  },

  async logLatencyStart(name: string): Promise<void> {
    latencies.length = 0
    stopLatency = await logFor(name).subscribe(
      'bench',
      (entries) => {
        const now = Date.now()
        for (const e of entries) {
          if (e.payload.byteLength < 8) continue
          const view = new DataView(e.payload.buffer, e.payload.byteOffset, 8)
          latencies.push(now - view.getFloat64(0))
        }
      },
      { from: 'tail' },
    )
  },

  logLatencyCount: (): number => latencies.length,

  async logLatencyStop(): Promise<number[]> {
    await stopLatency?.()
    return [...latencies]
  },

  /**
   * One 100 B entry stamped with `Date.now()` every `intervalMs`, `count`
   * times, not waiting on each. Resolves with each append's time to its
   * acknowledgement (committed on the leader), in ms.
   */
  async logPaced(name: string, count: number, intervalMs: number): Promise<number[]> {
    const log = logFor(name)
    const started = performance.now()
    const pending: Promise<number>[] = []
    for (let i = 0; i < count; i++) {
      const due = started + i * intervalMs
      const wait = due - performance.now()
      if (wait > 0) await sleep(wait)
      const payload = new Uint8Array(100)
      const stamp = Date.now()
      new DataView(payload.buffer).setFloat64(0, stamp)
      pending.push(log.append('bench', payload).then(() => Date.now() - stamp))
    }
    return Promise.all(pending)
  },

  async logClose(name: string): Promise<void> {
    await logs.get(name)?.close()
    logs.delete(name)
  },
}
