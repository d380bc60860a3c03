import { describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import { peerId } from '../core/log/ids.js'
import type { Link } from '../core/transport/link.js'
import { acquirePeerSlot } from './peer-slot.js'
import { TabLinks } from './tab-links.js'

function nextLink(tabs: TabLinks): Promise<Link> {
  return new Promise((resolve) => tabs.on('link-up', (e) => resolve(e.detail.link), { once: true }))
}

async function take(link: Link, n: number): Promise<number[]> {
  const out: number[] = []
  for await (const frame of link.frames) {
    out.push(frame[0] as number)
    if (out.length === n) break
  }
  return out
}

describe(`tab links over BroadcastChannel in ${server.browser}`, () => {
  it('two tabs find each other and exchange frames in order, both ways', async () => {
    const name = `tabs-${crypto.randomUUID()}`
    const a = new TabLinks({ self: peerId('tab-a'), channelName: name })
    const b = new TabLinks({ self: peerId('tab-b'), channelName: name })
    const linkAtB = nextLink(b)
    const linkAtA = nextLink(a)
    a.start()
    b.start()
    const [ab, ba] = await Promise.all([linkAtA, linkAtB])
    expect(ab.remotePeer).toBe('tab-b')
    expect(ba.remotePeer).toBe('tab-a')
    expect(ab.kind).toBe('broadcast-channel')
    for (let i = 0; i < 20; i++) await ab.send(Uint8Array.of(i))
    await ba.send(Uint8Array.of(99))
    expect(await take(ba, 20)).toEqual(Array.from({ length: 20 }, (_, i) => i))
    expect(await take(ab, 1)).toEqual([99])
    a.stop()
    b.stop()
  })

  it('sends only the frame’s own bytes when it is a view into a bigger buffer', async () => {
    const name = `tabs-${crypto.randomUUID()}`
    const a = new TabLinks({ self: peerId('tab-a'), channelName: name })
    const b = new TabLinks({ self: peerId('tab-b'), channelName: name })
    const linkAtB = nextLink(b)
    const linkAtA = nextLink(a)
    a.start()
    b.start()
    const [ab, ba] = await Promise.all([linkAtA, linkAtB])
    const batch = new Uint8Array(1 << 20).fill(7)
    await ab.send(batch.subarray(1000, 1010))
    const iterator = ba.frames[Symbol.asyncIterator]()
    const { value } = await iterator.next()
    expect(value).toEqual(new Uint8Array(10).fill(7))
    expect(value?.buffer.byteLength).toBe(10)
    a.stop()
    b.stop()
  })

  it('a tab that stops is dropped at once; a silent tab times out', async () => {
    const name = `tabs-${crypto.randomUUID()}`
    const a = new TabLinks({
      self: peerId('tab-a'),
      channelName: name,
      heartbeatMs: 20,
      timeoutMs: 150,
    })
    const b = new TabLinks({
      self: peerId('tab-b'),
      channelName: name,
      heartbeatMs: 20,
      timeoutMs: 150,
    })
    a.start()
    b.start()
    await expect.poll(() => [...a.links.keys()]).toEqual(['tab-b'])
    const down: string[] = []
    a.on('link-down', (e) => down.push(e.detail.peer))
    b.stop()
    await expect.poll(() => down).toEqual(['tab-b'])
    // A tab that says hello once and then nothing (frozen or crashed, no goodbye).
    const silent = new BroadcastChannel(name)
    silent.postMessage({ t: 'hello', from: 'tab-silent' })
    await expect.poll(() => a.links.has(peerId('tab-silent'))).toBe(true)
    await expect.poll(() => down, { timeout: 2000 }).toEqual(['tab-b', 'tab-silent'])
    silent.close()
    a.stop()
  })

  it('gives each tab its own slot and the same slot back after release', async () => {
    const prefix = `slot-${crypto.randomUUID()}-`
    const first = await acquirePeerSlot({ prefix })
    const second = await acquirePeerSlot({ prefix })
    expect([first.index, second.index]).toEqual([0, 1])
    first.release()
    first.release()
    await expect
      .poll(async () => {
        const again = await acquirePeerSlot({ prefix, max: 1 }).catch(() => undefined)
        again?.release()
        return again?.index
      })
      .toBe(0)
    await expect(acquirePeerSlot({ prefix, max: 0 })).rejects.toMatchObject({
      code: 'ERR_SLOT_UNAVAILABLE',
    })
    second.release()
  })
})
