import { firefox } from '@playwright/test'
import { firefoxLaunchOptions } from '../../scripts/browsers.mjs'
import {
  events,
  expect,
  expectFullWebRTCMesh,
  linkKinds,
  openMeshPage,
  received,
  sendFrames,
  test,
} from './fixtures.js'

// The `mixed` project: its browser is Chromium, and the test launches the
// system Firefox itself, so Chromium and Firefox pages share one mesh.

const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i)

test.describe('Chromium and Firefox mesh with each other over direct WebRTC', () => {
  test('two Chromium pages and a Firefox page link pairwise over WebRTC and exchange frames', async ({
    context,
    relay,
    room,
  }, testInfo) => {
    const firefoxBrowser = await firefox.launch(firefoxLaunchOptions())
    try {
      const firefoxContext = await firefoxBrowser.newContext()
      const started = Date.now()
      const [c1, c2, f] = await Promise.all([
        openMeshPage(context, {
          relay: relay.multiaddr,
          room,
          slot: `${room}-c1`,
          label: 'chromium-1',
        }),
        openMeshPage(context, {
          relay: relay.multiaddr,
          room,
          slot: `${room}-c2`,
          label: 'chromium-2',
        }),
        openMeshPage(firefoxContext, {
          relay: relay.multiaddr,
          room,
          slot: `${room}-f`,
          label: 'firefox',
        }),
      ])
      await expectFullWebRTCMesh([c1, c2, f])
      const seconds = ((Date.now() - started) / 1000).toFixed(1)
      testInfo.annotations.push({ type: 'full WebRTC mesh after', description: `${seconds} s` })
      console.log(`[mixed] 2 Chromium + 1 Firefox pages fully meshed over WebRTC in ${seconds} s`)

      await Promise.all([
        sendFrames(c1, f, 0, 200, 4096),
        sendFrames(f, c1, 500, 200, 32 << 10),
        sendFrames(f, c2, 900, 3, 1 << 20),
      ])
      await expect.poll(() => received(f, c1), { timeout: 20_000 }).toEqual(range(0, 200))
      await expect.poll(() => received(c1, f), { timeout: 20_000 }).toEqual(range(500, 200))
      await expect.poll(() => received(c2, f), { timeout: 20_000 }).toEqual(range(900, 3))

      // Firefox goes away: both Chromium pages see its link go down.
      await firefoxContext.close()
      for (const page of [c1, c2]) {
        await expect
          .poll(
            async () =>
              (await events(page)).some((e) => e.type === 'link-down' && e.peer === f.peerId),
            { timeout: 20_000 },
          )
          .toBe(true)
        await expect
          .poll(() => linkKinds(page))
          .toEqual({
            [page === c1 ? c2.peerId : c1.peerId]: 'webrtc',
          })
      }
    } finally {
      await firefoxBrowser.close()
    }
  })
})
