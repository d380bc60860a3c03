import { createHash } from 'node:crypto'
import type { Connection, Stream } from '@libp2p/interface'
import { afterEach, describe, expect, it } from 'vitest'
import { AbortedError, ClosedError, TimeoutError } from '../core/errors.js'
import { TestNet } from '../relay/test-harness.js'
import { encodeCredit, encodeDataHeader, encodeVarint } from './link-codec.js'
import { handleLinks, openLink } from './meshlog-protocol.js'
import {
  FramesAlreadyReadError,
  FrameTooLargeError,
  LinkProtocolError,
  SendQueueFullError,
} from './net-errors.js'
import { StreamLink, type StreamLinkOptions } from './stream-link.js'

const net = new TestNet()
afterEach(() => net.stopAll())

async function linkPair(options: StreamLinkOptions = {}): Promise<{
  local: StreamLink
  remote: StreamLink
  connection: Connection
}> {
  const { b, connection } = await net.directPair()
  let resolveRemote: (link: StreamLink) => void = () => {}
  const remote = new Promise<StreamLink>((resolve) => {
    resolveRemote = resolve
  })
  await handleLinks(b, resolveRemote, options)
  const local = await openLink(connection, { link: options })
  return { local, remote: await remote, connection }
}

/** Frames as "length:sha256" strings: deep-equality over megabytes of bytes is slow. */
function fingerprints(frames: readonly Uint8Array[]): string[] {
  return frames.map((f) => `${f.byteLength}:${createHash('sha256').update(f).digest('hex')}`)
}

function frame(index: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  const view = new DataView(bytes.buffer)
  if (size >= 4) view.setUint32(0, index)
  for (let i = 4; i < size; i++) bytes[i] = (index + i) & 0xff
  return bytes
}

/** Takes frames from a link without ever stopping its reader (which would close it). */
function reader(link: StreamLink): { take(count: number): Promise<Uint8Array[]> } {
  const frames = link.frames[Symbol.asyncIterator]()
  return {
    async take(count) {
      const out: Uint8Array[] = []
      while (out.length < count) {
        const next = await frames.next()
        if (next.done === true) throw new Error(`link ended after ${out.length} of ${count} frames`)
        out.push(next.value)
      }
      return out
    },
  }
}

function collect(link: StreamLink, count: number): Promise<Uint8Array[]> {
  return reader(link).take(count)
}

/** Reads every frame until the link ends. */
async function drain(link: StreamLink): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  for await (const f of link.frames) out.push(f.slice())
  return out
}

describe('a link over a real libp2p stream keeps frames whole and in order', {
  timeout: 20_000,
}, () => {
  it('delivers 2,000 frames of mixed sizes both ways, boundaries intact', async () => {
    const { local, remote } = await linkPair()
    expect(local.kind).toBe('websocket')
    expect(remote.kind).toBe('websocket')
    expect(local.initiator).toBe('local')
    expect(remote.initiator).toBe('remote')
    const sizes = Array.from({ length: 2_000 }, (_, i) => (i * 7919) % 6_000)
    const sent = sizes.map((size, i) => frame(i, size))
    const there = collect(remote, sent.length)
    const back = collect(local, sent.length)
    await Promise.all([
      (async () => {
        for (const f of sent) await local.send(f)
      })(),
      (async () => {
        for (const f of sent) await remote.send(f)
      })(),
    ])
    expect(fingerprints(await there)).toEqual(fingerprints(sent))
    expect(fingerprints(await back)).toEqual(fingerprints(sent))
  }, 30_000)

  it('carries frames of 1 MiB and more, including frames larger than the window', async () => {
    const { local, remote } = await linkPair({ receiveWindowBytes: 256 << 10 })
    const sent = [frame(1, 1 << 20), frame(2, (3 << 20) + 17), frame(3, 10), frame(4, 1 << 20)]
    const received = collect(remote, sent.length)
    for (const f of sent) await local.send(f)
    expect(fingerprints(await received)).toEqual(fingerprints(sent))
  }, 30_000)

  it('hands the reader frames it owns: a whole ArrayBuffer each, safe to transfer', async () => {
    const { local, remote } = await linkPair()
    const received = collect(remote, 2)
    await local.send(frame(1, 100))
    await local.send(frame(2, 40_000))
    for (const f of await received) {
      expect(f.byteOffset).toBe(0)
      expect(f.buffer.byteLength).toBe(f.byteLength)
    }
  })

  it('delivers empty frames as empty frames', async () => {
    const { local, remote } = await linkPair()
    const received = collect(remote, 3)
    await local.send(new Uint8Array(0))
    await local.send(Uint8Array.of(7))
    await local.send(new Uint8Array(0))
    expect((await received).map((f) => f.byteLength)).toEqual([0, 1, 0])
  })
})

describe('backpressure: a slow reader holds the sender back', { timeout: 20_000 }, () => {
  it('lets at most one window through until the reader takes frames', async () => {
    const window = 64 << 10
    const { local, remote } = await linkPair({ receiveWindowBytes: window, sendTimeoutMs: 20_000 })
    // A round trip: the peer's first grant (sent before its pong) has arrived.
    await local.ping(5_000)
    const size = 8 << 10
    const total = 64
    let resolved = 0
    const sends = Array.from({ length: total }, (_, i) =>
      local.send(frame(i, size)).then(() => {
        resolved++
      }),
    )
    // The sender stalls once the window is spent: wait until the remote got exactly that much.
    await expect.poll(() => remote.stats().bytesReceived, { timeout: 5_000 }).toBeGreaterThan(0)
    await expect.poll(() => local.stats().creditWaits, { timeout: 5_000 }).toBe(1)
    const perFrame = size + 1
    const fits = Math.floor(window / perFrame)
    expect(resolved).toBe(fits)
    expect(local.stats().bytesSent).toBeLessThanOrEqual(window)
    expect(remote.stats().bytesReceived).toBe(fits * size)
    const received = await collect(remote, total)
    await Promise.all(sends)
    expect(received.map((f) => new DataView(f.buffer, f.byteOffset).getUint32(0))).toEqual(
      Array.from({ length: total }, (_, i) => i),
    )
  }, 30_000)

  it('fails a send that waits past its deadline with TimeoutError, and the link stays usable', async () => {
    const { local, remote } = await linkPair({ receiveWindowBytes: 1024, sendTimeoutMs: 300 })
    await local.ping(5_000) // the peer's first grant is here: only the window limits the sends
    await local.send(frame(0, 1000))
    await expect(local.send(frame(1, 1000))).rejects.toBeInstanceOf(TimeoutError)
    expect(local.isClosed).toBe(false)
    const received = collect(remote, 2)
    // Credit comes back once the reader takes the first frame.
    await local.send(frame(2, 1000))
    const frames = await received
    expect(frames.map((f) => new DataView(f.buffer, f.byteOffset).getUint32(0))).toEqual([0, 2])
  })

  it("rejects with AbortedError when the caller's signal fires", async () => {
    const { local } = await linkPair({ receiveWindowBytes: 1024 })
    await local.send(frame(0, 1000))
    const controller = new AbortController()
    const pending = local.send(frame(1, 1000), { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toBeInstanceOf(AbortedError)
  })

  it('refuses sends beyond the pending limit with SendQueueFullError', async () => {
    const { local } = await linkPair({ receiveWindowBytes: 1024, maxPendingSends: 3 })
    await local.send(frame(0, 1000))
    // 23 bytes of credit are left: each 100-byte frame has to wait.
    const waiting = [
      local.send(frame(1, 100)),
      local.send(frame(2, 100)),
      local.send(frame(3, 100)),
    ]
    await expect(local.send(frame(4, 100))).rejects.toBeInstanceOf(SendQueueFullError)
    local.close()
    for (const pending of waiting) await expect(pending).rejects.toBeInstanceOf(ClosedError)
  })

  it('refuses a frame over the size limit with FrameTooLargeError', async () => {
    const { local } = await linkPair({ maxFrameBytes: 1024 })
    await expect(local.send(new Uint8Array(1025))).rejects.toBeInstanceOf(FrameTooLargeError)
    await local.send(new Uint8Array(1024))
  })
})

describe('closing', { timeout: 20_000 }, () => {
  it('a clean close ends the reader on both sides and settles `closed`', async () => {
    const { local, remote } = await linkPair()
    const remoteFrames = drain(remote)
    await local.send(Uint8Array.of(1))
    await local.send(Uint8Array.of(2))
    await expect.poll(() => remote.stats().framesReceived).toBe(2)
    local.close()
    local.close()
    expect(await remoteFrames).toEqual([Uint8Array.of(1), Uint8Array.of(2)])
    await Promise.all([local.closed, remote.closed])
    expect(local.closeReason).toBeUndefined()
    expect(remote.closeReason).toBeUndefined()
    await expect(local.send(Uint8Array.of(3))).rejects.toBeInstanceOf(ClosedError)
    await expect(remote.send(Uint8Array.of(3))).rejects.toBeInstanceOf(ClosedError)
  })

  it('close(reason) aborts: the peer learns the link was reset', async () => {
    const { local, remote } = await linkPair()
    const reason = new Error('replaced by a better link')
    local.close(reason)
    await Promise.all([local.closed, remote.closed])
    expect(local.closeReason).toBe(reason)
    expect(remote.closeReason).toBeInstanceOf(Error)
    expect(await drain(remote)).toEqual([])
  })

  it('pending sends fail with ClosedError when the link closes', async () => {
    const { local } = await linkPair({ receiveWindowBytes: 1024 })
    await local.send(frame(0, 1000))
    const blocked = local.send(frame(1, 1000))
    local.close()
    await expect(blocked).rejects.toBeInstanceOf(ClosedError)
  })

  it('both links close when the connection under them closes', async () => {
    const { local, remote, connection } = await linkPair()
    await connection.close()
    await Promise.all([local.closed, remote.closed])
    expect(local.isClosed && remote.isClosed).toBe(true)
  })

  it('a reader that stops early closes the link', async () => {
    const { local, remote } = await linkPair()
    await local.send(Uint8Array.of(1))
    for await (const _ of remote.frames) break
    await Promise.all([local.closed, remote.closed])
  })

  it('frames has one reader', async () => {
    const { remote } = await linkPair()
    remote.frames[Symbol.asyncIterator]()
    expect(() => remote.frames[Symbol.asyncIterator]()).toThrow(FramesAlreadyReadError)
    expect(remote.isClosed).toBe(false)
  })
})

describe('liveness: ping, keepalive', { timeout: 20_000 }, () => {
  it('ping measures the round trip', async () => {
    const { local } = await linkPair()
    const rtt = await local.ping(5_000)
    expect(rtt).toBeGreaterThanOrEqual(0)
    expect(local.rtt).toBe(rtt)
  })

  it('an idle link pings its peer and stays open while it answers', async () => {
    const { local, remote } = await linkPair({ keepAliveMs: 50, keepAliveTimeoutMs: 2_000 })
    await expect.poll(() => local.rtt !== undefined && remote.rtt !== undefined).toBe(true)
    expect(local.isClosed || remote.isClosed).toBe(false)
  })
})

describe('a peer that breaks the protocol is cut off', { timeout: 20_000 }, () => {
  async function rawPeer(options: StreamLinkOptions = {}): Promise<{
    raw: Stream
    link: StreamLink
  }> {
    const { b, connection } = await net.directPair()
    const { outbound, inbound, inboundConnection } = await net.rawStreams(b, connection)
    const link = new StreamLink({
      ...options,
      stream: inbound,
      connection: inboundConnection,
      remotePeer: inboundConnection.remotePeer.toString() as StreamLink['remotePeer'],
      kind: 'websocket',
    })
    return { raw: outbound, link }
  }

  function dataMessage(payload: Uint8Array): Uint8Array {
    const header = encodeDataHeader(payload.byteLength)
    const out = new Uint8Array(header.byteLength + payload.byteLength)
    out.set(header)
    out.set(payload, header.byteLength)
    return out
  }

  it('sending past the granted credit', async () => {
    const { raw, link } = await rawPeer({ receiveWindowBytes: 100 })
    raw.send(dataMessage(new Uint8Array(60)))
    raw.send(dataMessage(new Uint8Array(60)))
    await link.closed
    expect(link.closeReason).toBeInstanceOf(LinkProtocolError)
  })

  it('a message type the protocol does not have', async () => {
    const { raw, link } = await rawPeer()
    raw.send(Uint8Array.of(2, 0x7f, 0))
    await link.closed
    expect(link.closeReason).toBeInstanceOf(LinkProtocolError)
  })

  it('a message longer than the frame limit', async () => {
    const { raw, link } = await rawPeer({ maxFrameBytes: 1000 })
    raw.send(encodeVarint(5000))
    await link.closed
    expect(link.closeReason).toBeInstanceOf(FrameTooLargeError)
  })

  it('never answering a keepalive ping (a vanished peer)', async () => {
    const { link } = await rawPeer({ keepAliveMs: 50, keepAliveTimeoutMs: 200 })
    await link.closed
    expect(link.closeReason).toBeInstanceOf(TimeoutError)
  })

  it('granting more credit than its own window', async () => {
    const { raw, link } = await rawPeer()
    raw.send(encodeCredit(100))
    raw.send(encodeCredit(1))
    await link.closed
    expect(link.closeReason).toBeInstanceOf(LinkProtocolError)
  })
})
