/**
 * The `mixed` project (its browser is Chromium; the test launches the system
 * Firefox itself): the demo with Chromium and Firefox peers in one room.
 */
import { firefox } from '@playwright/test'
import { firefoxLaunchOptions } from '../../scripts/browsers.mjs'
import { test } from '../mesh/fixtures.js'
import {
  append,
  closeAll,
  type DemoPeer,
  events,
  expectDirectMesh,
  expectLogs,
  expectOneLeader,
  HEARTBEAT_MS,
  openDemo,
  roomFor,
} from './demo-fixtures.js'

const { expect } = test

test.describe.configure({ timeout: 120_000 })

test.describe('the demo with Chromium and Firefox peers in one mesh', () => {
  test('they link over direct WebRTC, replicate in order, and fail over when the leader closes', async ({
    browser,
  }, testInfo) => {
    const firefoxBrowser = await firefox.launch(firefoxLaunchOptions())
    const room = roomFor(testInfo)
    const peers: DemoPeer[] = []
    try {
      peers.push(
        ...(await Promise.all([
          openDemo(browser, { room, label: 'chromium-a' }),
          openDemo(firefoxBrowser, { room, label: 'firefox-b' }),
          openDemo(firefoxBrowser, { room, label: 'firefox-c' }),
        ])),
      )
      await expectDirectMesh(peers)
      const leader = await expectOneLeader(peers)
      const first = ['from', 'mixed', 'browsers'].map((w) => `${w} (${leader.label})`)
      await append(leader, ...first)
      await expectLogs(peers, first)

      const rest = peers.filter((p) => p !== leader)
      const closedAt = Date.now()
      await leader.page.close()
      const next = await expectOneLeader(rest, 10_000)
      const elected = (await events(next)).find(
        (e) => e.type === 'role-changed' && e.role === 'leader' && e.at >= closedAt,
      )
      const failoverMs = (elected?.at ?? Number.POSITIVE_INFINITY) - closedAt
      console.log(`[mixed] new leader ${failoverMs} ms after ${leader.label} closed`)
      expect(failoverMs).toBeLessThanOrEqual(3 * HEARTBEAT_MS)
      await append(next, 'after failover')
      await expectLogs(rest, [...first, 'after failover'])
    } finally {
      await closeAll(peers)
      await firefoxBrowser.close()
    }
  })
})
