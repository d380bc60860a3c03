import { describe, expect, it } from 'vitest'
import { channelId, type PeerId, peerId } from '../../log/ids.js'
import { fill, logWriter, type SyncCluster, syncCluster } from '../../node/sync-cluster.js'
import type { SyncNodeOptions } from '../../node/sync-node.js'
import { encodeFrame } from '../../wire/frame-codec.js'
import type { SyncSessionResult } from '../session-job.js'

const CH = channelId('limits')
const [A, B, C] = ['serves-a', 'fetches-b', 'fetches-c'].map((p) => peerId(p)) as [
  PeerId,
  PeerId,
  PeerId,
]
const AUTHOR = peerId('author')

async function setup(
  options: (peer: PeerId) => Partial<SyncNodeOptions>,
  entries = 100,
  payloadBytes = 100,
): Promise<SyncCluster> {
  const cluster = await syncCluster({ peers: [A, B, C], options })
  await fill(
    [cluster.store(A)],
    CH,
    logWriter(cluster.hasher, CH, AUTHOR).next(entries, payloadBytes),
  )
  return cluster
}

/** Records the entry count of every chunk `from` sends. */
function chunkSizes(cluster: SyncCluster, from: PeerId): number[] {
  const sizes: number[] = []
  cluster.dropFrom(from, (_to, frame) => {
    if (frame.kind === 'sync-chunk') sizes.push(frame.message.entries.length)
    return false
  })
  return sizes
}

const errorOf = (result: SyncSessionResult) => (result.status === 'ok' ? undefined : result.error)

describe('chunks are capped by the initiator and again by the responder', () => {
  it('the initiator asks for at most maxChunkEntries entries and maxChunkBytes bytes', async () => {
    const cluster = await setup((p) =>
      p === B ? { protocolLimits: { maxChunkEntries: 32, maxChunkBytes: 1_000 } } : {},
    )
    const sizes = chunkSizes(cluster, A)
    const result = await cluster.until(cluster.node(B).requestSync(CH, A))
    expect(result).toMatchObject({ status: 'ok', outcome: { entriesReceived: 100 } })
    // 100-byte payloads: the byte cap (10 per chunk) binds before the entry cap.
    expect(sizes).toEqual(Array(10).fill(10))
    await cluster.stop()
  })

  it('a responder serves at most serveMaxEntries whatever it is asked', async () => {
    const cluster = await setup((p) =>
      p === A
        ? { protocolLimits: { serveMaxEntries: 7 } }
        : { protocolLimits: { maxChunkEntries: 50 } },
    )
    const sizes = chunkSizes(cluster, A)
    await cluster.until(cluster.node(B).requestSync(CH, A))
    expect(Math.max(...sizes)).toBe(7)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(100)
    expect(cluster.node(A).runner.stats()).toMatchObject({ chunksServed: 15, entriesServed: 100 })
    await cluster.stop()
  })
})

describe("fetching is budgeted like the runtime's background class", () => {
  it('10,000 bytes at 2,000 bytes/s with a 2,000-byte bucket take at least four seconds of clock', async () => {
    const cluster = await setup((p) =>
      p === B
        ? {
            protocolLimits: {
              maxChunkBytes: 1_000,
              budgetBytesPerSecond: 2_000,
              budgetBurstBytes: 2_000,
            },
          }
        : {},
    )
    const started = cluster.clock.now()
    const result = await cluster.until(cluster.node(B).requestSync(CH, A))
    expect(result.status).toBe('ok')
    const took = cluster.clock.now() - started
    expect(took).toBeGreaterThanOrEqual(4_000)
    expect(took).toBeLessThan(5_000)
    expect(cluster.node(B).runner.stats().budgetWaitMs).toBeGreaterThanOrEqual(3_900)
    await cluster.stop()
  })
})

describe('responders are bounded and refuse what they do not serve', () => {
  it('beyond maxResponderSessions a session is refused busy (counted); the other completes', async () => {
    const cluster = await setup((p) =>
      p === A
        ? { protocolLimits: { maxResponderSessions: 1 } }
        : { protocolLimits: { maxChunkEntries: 10 } },
    )
    const [fromB, fromC] = await cluster.until(
      Promise.all([cluster.node(B).requestSync(CH, A), cluster.node(C).requestSync(CH, A)]),
    )
    const outcomes = [fromB, fromC].map((r) =>
      r.status === 'ok' ? 'ok' : errorOf(r)?.details.reason,
    )
    expect(outcomes.sort()).toEqual(['busy', 'ok'])
    expect(cluster.node(A).runner.stats().drops).toMatchObject({ 'responder-busy': 1 })
    // The winner's closing frame reaches A a few milliseconds later.
    await cluster.clock.advanceAsync(10)
    expect(cluster.node(A).runner.activeSessions.responders).toBe(0)
    // A refusal is not misbehaviour: the refused peer may ask again.
    const refused = fromB.status === 'ok' ? C : B
    expect(cluster.node(refused).manager.isPeerAvoided(A)).toBe(false)
    expect((await cluster.until(cluster.node(refused).requestSync(CH, A))).status).toBe('ok')
    await cluster.stop()
  })

  it('a channel the responder does not hold, or may not serve, is refused with a reason', async () => {
    const cluster = await setup((p) => (p === A ? { mayServe: (peer) => peer !== C } : {}))
    const unknown = await cluster.until(cluster.node(B).requestSync(channelId('never-held'), A))
    expect(errorOf(unknown)).toMatchObject({
      code: 'ERR_SYNC_REFUSED',
      details: { reason: 'unknown-channel' },
    })
    const denied = await cluster.until(cluster.node(C).requestSync(CH, A))
    expect(errorOf(denied)).toMatchObject({
      code: 'ERR_SYNC_REFUSED',
      details: { reason: 'not-authorized' },
    })
    expect(cluster.store(C).state(CH).nextSeq).toBe(0)
    await cluster.stop()
  })
})

describe('every wait has a deadline', () => {
  it('a responder that stops answering: each request is asked requestAttempts times, then the session fails', async () => {
    const cluster = await setup((p) =>
      p === B
        ? { protocolLimits: { requestTimeoutMs: 500, requestAttempts: 2, maxChunkEntries: 10 } }
        : {},
    )
    let served = 0
    cluster.dropFrom(A, (_to, frame) => frame.kind === 'sync-chunk' && ++served > 3)
    const started = cluster.clock.now()
    const result = await cluster.until(cluster.node(B).requestSync(CH, A))
    expect(errorOf(result)).toMatchObject({
      code: 'ERR_SYNC_REQUEST_TIMEOUT',
      details: { attempts: 2 },
    })
    expect(cluster.clock.now() - started).toBeLessThan(1_200)
    // What was verified before the silence stays; the peer is not blamed.
    expect(cluster.store(B).state(CH).nextSeq).toBe(30)
    expect(cluster.node(B).runner.stats().requestRetries).toBe(1)
    expect(cluster.node(B).manager.isPeerAvoided(A)).toBe(false)
    await cluster.stop()
  })

  it("the actor's session deadline bounds a whole session; verified chunks before it are kept", async () => {
    const cluster = await setup((p) =>
      p === B
        ? {
            sessions: { sessionDeadlineMs: 2_000 },
            protocolLimits: {
              maxChunkBytes: 1_000,
              budgetBytesPerSecond: 1_000,
              budgetBurstBytes: 1_000,
            },
          }
        : {},
    )
    const fetchedFrom: number[] = []
    cluster.dropFrom(B, (_to, frame) => {
      if (frame.kind === 'sync-fetch') fetchedFrom.push(frame.message.fromSeq)
      return false
    })
    const result = await cluster.until(cluster.node(B).requestSync(CH, A))
    expect(result).toMatchObject({ status: 'timeout', error: { code: 'ERR_TIMEOUT' } })
    const kept = cluster.store(B).state(CH).nextSeq
    expect(kept).toBeGreaterThan(0)
    expect(kept).toBeLessThan(100)
    // The next session picks up where the last one was cut off.
    fetchedFrom.length = 0
    await cluster.until(cluster.node(B).requestSync(CH, A))
    expect(fetchedFrom[0]).toBe(kept)
    await cluster.stop()
  })

  it('a responder whose initiator vanished ends after responderIdleMs and frees its slot', async () => {
    const cluster = await setup((p) =>
      p === A ? { protocolLimits: { responderIdleMs: 1_000 } } : {},
    )
    // B's fetches never leave: A hears the opening, then nothing.
    cluster.dropFrom(B, (_to, frame) => frame.kind === 'sync-fetch')
    const closes: string[] = []
    cluster.dropFrom(A, (_to, frame) => {
      if (frame.kind === 'sync-close') closes.push(frame.message.reason)
      return false
    })
    void cluster.node(B).requestSync(CH, A)
    await cluster.clock.advanceAsync(50)
    expect(cluster.node(A).runner.activeSessions.responders).toBe(1)
    await cluster.clock.advanceAsync(1_000)
    expect(cluster.node(A).runner.activeSessions.responders).toBe(0)
    expect(closes).toEqual(['idle-timeout'])
    await cluster.stop()
  })

  it('frames for sessions nobody runs are dropped and counted', async () => {
    const cluster = await setup(() => ({}))
    await cluster.until(cluster.node(B).requestSync(CH, A))
    const stray = encodeFrame({
      kind: 'sync-close',
      message: { channelId: CH, sessionId: 12345n, reason: 'done', detail: '' },
    })
    expect(cluster.node(B).receive(A, stray)).toBe(false)
    expect(cluster.node(B).runner.stats().drops).toMatchObject({ 'unknown-session': 1 })
    await cluster.stop()
  })
})
