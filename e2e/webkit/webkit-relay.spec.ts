/**
 * The optional stretch of the browser-mesh issue: WebKitGTK, which has no
 * WebRTC, joins a mesh with a Chromium page. The two link over the relay's
 * circuit (not WebRTC: one side cannot) and replicate both ways, in one
 * order. WebKit runs under WebDriver (webkit-driver.ts); Chromium under
 * Playwright, through the same `npm start` demo and relay.
 */

import {
  append,
  closeAll,
  DEMO_URL,
  type DemoPeer,
  openDemo,
  roomFor,
  texts,
  view,
} from '../demo/demo-fixtures.js'
import { test as meshTest } from '../mesh/fixtures.js'
import { WebKitPeer } from './webkit-driver.js'

const test = meshTest
const { expect } = test

test.describe.configure({ timeout: 120_000 })

interface WebKitView {
  readonly ready: boolean
  readonly error?: string
  readonly peerId?: string
  readonly role?: string
  readonly leader?: string
  readonly links?: Record<string, string>
  readonly texts?: string[]
  readonly webRTC?: string
}

/** What the WebKit page's demo shows: its id, role, links by peer and chat lines. */
function webkitView(peer: WebKitPeer): Promise<WebKitView> {
  return peer.evaluateAsync<WebKitView>(`
    const demo = window.meshlogDemo
    if (demo === undefined) {
      const error = window.meshlogDemoError
      return done({ ready: false, ...(error === undefined ? {} : { error: String(error) }) })
    }
    Promise.all([demo.status(), demo.entries()]).then(([s, list]) => {
      const chat = s.channels.find((c) => c.channel === 'chat')
      done({
        ready: true,
        peerId: demo.peerId,
        role: chat && chat.role,
        leader: (chat && chat.leader) || undefined,
        links: Object.fromEntries(
          ((s.mesh && s.mesh.peers) || []).filter((p) => p.member).map((p) => [p.peer, p.link ? p.link.kind : 'none']),
        ),
        texts: list.map((e) => e.text),
        webRTC: typeof RTCPeerConnection,
      })
    }, (error) => done({ ready: true, error: String(error) }))
  `)
}

test('WebKitGTK (no WebRTC) and Chromium replicate over the relayed circuit', async ({
  browser,
}, testInfo) => {
  const room = roomFor(testInfo)
  const webkit = await WebKitPeer.launch()
  let chromium: DemoPeer | undefined
  try {
    await webkit.goto(`${DEMO_URL}?${new URLSearchParams({ room })}`)
    await expect
      .poll(
        async () => {
          const v = await webkitView(webkit)
          if (v.error !== undefined) throw new Error(`WebKit demo failed: ${v.error}`)
          return v.ready
        },
        { timeout: 30_000, message: 'the WebKit demo starts' },
      )
      .toBe(true)
    const first = await webkitView(webkit)
    expect(first.webRTC).toBe('undefined')
    const webkitId = first.peerId as string

    chromium = await openDemo(browser, { room, label: 'chromium' })
    const chromiumId = chromium.peerId
    // Each sees the other, over the circuit: WebKit cannot dial WebRTC, nor answer it.
    await expect
      .poll(async () => (await view(chromium as DemoPeer)).links, {
        timeout: 60_000,
        message: 'chromium links',
      })
      .toEqual({ [webkitId]: 'relayed' })
    await expect
      .poll(async () => (await webkitView(webkit)).links, {
        timeout: 60_000,
        message: 'webkit links',
      })
      .toEqual({ [chromiumId]: 'relayed' })

    // One leader, followed by the other.
    await expect
      .poll(
        async () => {
          const [c, w] = [await view(chromium as DemoPeer), await webkitView(webkit)]
          return (
            (c.role === 'leader' && w.leader === chromiumId) ||
            (w.role === 'leader' && c.leader === webkitId)
          )
        },
        { timeout: 30_000, message: 'one leader, followed by the other' },
      )
      .toBe(true)

    // Appends from both sides, in turns; both logs end the same, in one order.
    for (let i = 0; i < 3; i++) {
      const failed = await webkit.evaluateAsync<string | null>(
        `window.meshlogDemo.append(arguments[0]).then(() => done(null), (e) => done(String(e)))`,
        `webkit ${i}`,
      )
      expect(failed, `append on WebKit`).toBeNull()
      await append(chromium, `chromium ${i}`)
    }
    await expect
      .poll(async () => (await texts(chromium as DemoPeer)).length, {
        timeout: 30_000,
        message: 'chromium has all six',
      })
      .toBe(6)
    const order = await texts(chromium)
    expect([...order].sort()).toEqual([
      'chromium 0',
      'chromium 1',
      'chromium 2',
      'webkit 0',
      'webkit 1',
      'webkit 2',
    ])
    await expect
      .poll(async () => (await webkitView(webkit)).texts, {
        timeout: 30_000,
        message: 'webkit log',
      })
      .toEqual(order)
    testInfo.annotations.push({
      type: 'webkit',
      description: 'linked over the relayed circuit; 6 entries in one order',
    })
  } finally {
    await webkit.close()
    if (chromium !== undefined) await closeAll([chromium])
  }
})
