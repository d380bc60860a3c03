/**
 * One side of `npm run bench:wire` (run.mjs drives two of these pages):
 * a raw RTCDataChannel, signalled by the runner copying SDP between pages,
 * and a meshlog link over libp2p WebRTC, joined through the relay. Both
 * send `count` messages of `size` bytes with backpressure; the receiver
 * notes when the last byte arrived (Date.now(), shared by both pages).
 * The meshlog replication half lives in log-bench.ts.
 */
import { createBrowserNode } from '../../src/net/browser-node.js'
import { MeshNetwork } from '../../src/net/mesh-network.js'
import type { StreamLink } from '../../src/net/stream-link.js'
import { logBench } from './log-bench.js'

const RAW_STREAM_PROTOCOL = '/meshlog-bench/raw/1.0.0'
const HIGH_WATER = 1 << 20
const LOW_WATER = 256 << 10

let pc: RTCPeerConnection | undefined
let channel: RTCDataChannel | undefined
let mesh: MeshNetwork | undefined
let received = 0
let lastAt = 0

function gathered(connection: RTCPeerConnection): Promise<void> {
  if (connection.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    connection.addEventListener('icegatheringstatechange', () => {
      if (connection.iceGatheringState === 'complete') resolve()
    })
  })
}

function count(bytes: number): void {
  received += bytes
  lastAt = Date.now()
}

function opened(dc: RTCDataChannel): Promise<RTCDataChannel> {
  dc.binaryType = 'arraybuffer'
  dc.onmessage = (event: MessageEvent<ArrayBuffer>) => count(event.data.byteLength)
  if (dc.readyState === 'open') return Promise.resolve(dc)
  return new Promise((resolve) => dc.addEventListener('open', () => resolve(dc), { once: true }))
}

const api = {
  async rawOffer(): Promise<string> {
    pc = new RTCPeerConnection({ iceServers: [] })
    const dc = pc.createDataChannel('bench', { ordered: true })
    const open = opened(dc)
    await pc.setLocalDescription(await pc.createOffer())
    await gathered(pc)
    void open.then((c) => {
      channel = c
    })
    return JSON.stringify(pc.localDescription)
  },
  async rawAnswer(offer: string): Promise<string> {
    pc = new RTCPeerConnection({ iceServers: [] })
    pc.ondatachannel = (event) => {
      void opened(event.channel).then((c) => {
        channel = c
      })
    }
    await pc.setRemoteDescription(JSON.parse(offer) as RTCSessionDescriptionInit)
    await pc.setLocalDescription(await pc.createAnswer())
    await gathered(pc)
    return JSON.stringify(pc.localDescription)
  },
  async rawComplete(answer: string): Promise<void> {
    await pc?.setRemoteDescription(JSON.parse(answer) as RTCSessionDescriptionInit)
  },
  rawReady: (): boolean => channel?.readyState === 'open',
  /** Echo every message of 8 bytes or less back (the other page's `rawPing`). */
  rawEcho(): void {
    const dc = channel
    if (dc === undefined) throw new Error('no data channel')
    dc.onmessage = (event: MessageEvent<ArrayBuffer>) => {
      if (event.data.byteLength <= 8) dc.send(event.data)
      else count(event.data.byteLength)
    }
  },
  /** Round trips of an 8-byte message to an echoing page, one at a time, in ms. */
  async rawPing(times: number): Promise<number[]> {
    const dc = channel
    if (dc === undefined) throw new Error('no data channel')
    const rtts: number[] = []
    for (let i = 0; i < times; i++) {
      const sent = performance.now()
      await new Promise<void>((resolve) => {
        dc.onmessage = () => resolve()
        dc.send(new Uint8Array(8))
      })
      rtts.push(performance.now() - sent)
      await new Promise((r) => setTimeout(r, 10))
    }
    dc.onmessage = (event: MessageEvent<ArrayBuffer>) => count(event.data.byteLength)
    return rtts
  },
  async rawSend(count: number, size: number): Promise<number> {
    const dc = channel
    if (dc === undefined) throw new Error('no data channel')
    dc.bufferedAmountLowThreshold = LOW_WATER
    const message = new Uint8Array(size)
    const started = Date.now()
    for (let i = 0; i < count; i++) {
      if (dc.bufferedAmount > HIGH_WATER) {
        await new Promise((resolve) =>
          dc.addEventListener('bufferedamountlow', resolve, { once: true }),
        )
      }
      dc.send(message)
    }
    return started
  },
  async meshStart(relay: string, slot: string, maxMessageSize?: number): Promise<string> {
    const node = await createBrowserNode({
      slot,
      relays: [relay],
      iceServers: [],
      ...(maxMessageSize === undefined ? {} : { dataChannel: { maxMessageSize } }),
    })
    // The two pages' slots differ only in their last part: that pair is a room.
    const room = `wire-bench-${slot.slice(0, slot.lastIndexOf('-'))}`
    mesh = new MeshNetwork({ node, relay, room })
    mesh.on('link-up', ({ detail }) => {
      void (async () => {
        for await (const frame of detail.link.frames) count(frame.byteLength)
      })()
    })
    await mesh.start()
    await node.handle(
      RAW_STREAM_PROTOCOL,
      (stream) => {
        stream.addEventListener('message', (event) => count(event.data.byteLength))
      },
      { runOnLimitedConnection: true },
    )
    return mesh.self
  },
  /** The same bytes on a bare libp2p stream over the same WebRTC connection: no link framing. */
  async streamSend(peer: string, count: number, size: number): Promise<number> {
    const connection = mesh?.node
      .getConnections()
      .find((c) => c.remotePeer.toString() === peer && c.direct)
    if (connection === undefined) throw new Error(`no direct connection to ${peer}`)
    const stream = await connection.newStream(RAW_STREAM_PROTOCOL)
    const started = Date.now()
    for (let i = 0; i < count; i++) {
      if (!stream.send(new Uint8Array(size))) await stream.onDrain()
    }
    await stream.close()
    return started
  },
  async meshStop(): Promise<void> {
    await mesh?.stop()
    mesh = undefined
  },
  linkKind: (peer: string): string | undefined =>
    mesh?.links().get(peer as StreamLink['remotePeer'])?.kind,
  async linkSend(peer: string, count: number, size: number): Promise<number> {
    const link = mesh?.links().get(peer as StreamLink['remotePeer'])
    if (link === undefined) throw new Error(`no link to ${peer}`)
    const started = Date.now()
    for (let i = 0; i < count; i++) await link.send(new Uint8Array(size))
    return started
  },
  reset(): void {
    received = 0
    lastAt = 0
  },
  progress: (): { received: number; lastAt: number } => ({ received, lastAt }),
  ...logBench,
}

declare global {
  interface Window {
    wireBench?: typeof api
  }
}

window.wireBench = api
