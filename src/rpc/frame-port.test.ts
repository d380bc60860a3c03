import { afterEach, describe, expect, it } from 'vitest'
import { type PeerId, peerId } from '../core/log/ids.js'
import { memoryLinkPair } from '../core/transport/memory-link.js'
import { TRANSFER_FRAME_BYTES } from './frame-port-protocol.js'
import { PageFramePort } from './page-frame-port.js'
import { WorkerFramePort } from './worker-frame-port.js'

const SELF = peerId('self')
const REMOTE = peerId('remote')
const channels: MessageChannel[] = []

function connect(options: { inboundWindowBytes?: number; outboundWindowBytes?: number } = {}) {
  const channel = new MessageChannel()
  channels.push(channel)
  const page = new PageFramePort(options)
  page.connect(channel.port1)
  const worker = new WorkerFramePort(channel.port2, options)
  return { page, worker, channel }
}

afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close()
    c.port2.close()
  }
})

function framesAtWorker(worker: WorkerFramePort): { peer: PeerId; first: number }[] {
  const got: { peer: PeerId; first: number }[] = []
  worker.on('frame', (e) => got.push({ peer: e.detail.peer, first: e.detail.frame[0] as number }))
  return got
}

describe('frame port between page and worker', () => {
  it('tells the worker about links and carries frames both ways, in order', async () => {
    const { page, worker } = connect()
    const [atPage, atRemote] = memoryLinkPair(SELF, REMOTE)
    const got = framesAtWorker(worker)
    page.attachLink(atPage)
    await expect.poll(() => worker.links.get(REMOTE)).toBe('memory')
    for (let i = 0; i < 50; i++) await atRemote.send(Uint8Array.of(i))
    await expect.poll(() => got.length).toBe(50)
    expect(got.map((g) => g.first)).toEqual(Array.from({ length: 50 }, (_, i) => i))
    for (let i = 0; i < 10; i++) expect(worker.send(REMOTE, Uint8Array.of(100 + i))).toBe('queued')
    const back: number[] = []
    for await (const frame of atRemote.frames) {
      back.push(frame[0] as number)
      if (back.length === 10) break
    }
    expect(back).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i))
  })

  it('moves large frames alone, by transfer, both ways, in order with the batched ones', async () => {
    const { page, worker } = connect()
    const [atPage, atRemote] = memoryLinkPair(SELF, REMOTE)
    const got = framesAtWorker(worker)
    page.attachLink(atPage)
    await expect.poll(() => worker.links.get(REMOTE)).toBe('memory')
    const large = (first: number) => new Uint8Array(TRANSFER_FRAME_BYTES).fill(first)
    // Inbound: small, large, small; the large one leaves the page's hands (transferred).
    const inbound = large(2)
    await atRemote.send(Uint8Array.of(1))
    await atRemote.send(inbound)
    await atRemote.send(Uint8Array.of(3))
    await expect.poll(() => got.map((g) => g.first)).toEqual([1, 2, 3])
    // Outbound: the worker's large frame is transferred, not copied: its buffer is detached here.
    const outbound = large(5)
    expect(worker.send(REMOTE, Uint8Array.of(4))).toBe('queued')
    expect(worker.send(REMOTE, outbound)).toBe('queued')
    expect(worker.send(REMOTE, Uint8Array.of(6))).toBe('queued')
    expect(outbound.byteLength).toBe(0)
    const back: { first: number; length: number }[] = []
    for await (const frame of atRemote.frames) {
      back.push({ first: frame[0] as number, length: frame.byteLength })
      if (back.length === 3) break
    }
    expect(back).toEqual([
      { first: 4, length: 1 },
      { first: 5, length: TRANSFER_FRAME_BYTES },
      { first: 6, length: 1 },
    ])
    // A large view into a bigger buffer is copied into a batch instead: the rest of its buffer is not ours.
    const shared = new Uint8Array(TRANSFER_FRAME_BYTES * 2).fill(7)
    expect(worker.send(REMOTE, shared.subarray(0, TRANSFER_FRAME_BYTES))).toBe('queued')
    expect(shared.byteLength).toBe(TRANSFER_FRAME_BYTES * 2)
  })

  it('refuses frames for peers without a link, and reports the link going down', async () => {
    const { page, worker } = connect()
    expect(worker.send(REMOTE, Uint8Array.of(1))).toBe('no-link')
    const [atPage] = memoryLinkPair(SELF, REMOTE)
    page.attachLink(atPage)
    await expect.poll(() => worker.links.size).toBe(1)
    const down: string[] = []
    worker.on('link-down', (e) => down.push(e.detail.peer))
    atPage.close()
    await expect.poll(() => down).toEqual(['remote'])
    expect(worker.send(REMOTE, Uint8Array.of(1))).toBe('no-link')
    expect(worker.refusals.snapshot()).toMatchObject({ 'no-link': 2, total: 2 })
  })

  it('a slow link fills the outbound window and the worker refuses until the page catches up', async () => {
    const { page, worker } = connect({ outboundWindowBytes: 1000 })
    const [atPage, atRemote] = memoryLinkPair(SELF, REMOTE, 1)
    page.attachLink(atPage)
    await expect.poll(() => worker.links.size).toBe(1)
    const results = Array.from({ length: 20 }, () => worker.send(REMOTE, new Uint8Array(100)))
    expect(results.filter((r) => r === 'queued')).toHaveLength(10)
    expect(results.filter((r) => r === 'window-full')).toHaveLength(10)
    let read = 0
    for await (const _ of atRemote.frames) if (++read === 10) break
    await expect.poll(() => worker.send(REMOTE, new Uint8Array(100))).toBe('queued')
  })

  it('stops reading links while the worker has a full inbound window unacknowledged', async () => {
    const channel = new MessageChannel()
    channels.push(channel)
    const page = new PageFramePort({ inboundWindowBytes: 500 })
    page.connect(channel.port1)
    // No worker end yet: nothing acknowledges what the page sends.
    const [atPage, atRemote] = memoryLinkPair(SELF, REMOTE, 4)
    page.attachLink(atPage)
    let sent = 0
    const sender = (async () => {
      for (let i = 0; i < 40; i++) {
        await atRemote.send(new Uint8Array(100))
        sent++
      }
    })()
    await new Promise((resolve) => setTimeout(resolve, 50))
    // 5 frames fill the window, 4 more fill the link's buffer, one send waits.
    expect(sent).toBeLessThan(12)
    const worker = new WorkerFramePort(channel.port2)
    const got = framesAtWorker(worker)
    await sender
    await expect.poll(() => got.length).toBe(40)
  })

  it('re-announces attached links to a new worker after a restart', async () => {
    const { page, worker } = connect()
    const [atPage] = memoryLinkPair(SELF, REMOTE)
    page.attachLink(atPage)
    await expect.poll(() => worker.links.size).toBe(1)
    page.disconnect()
    const next = new MessageChannel()
    channels.push(next)
    const reborn = new WorkerFramePort(next.port2)
    page.connect(next.port1)
    await expect.poll(() => reborn.links.get(REMOTE)).toBe('memory')
  })
})
