/**
 * The demo page as users see it, three peers at a time, in the chromium and
 * firefox projects (demo-mixed.spec.ts mixes the two browsers). Pages are
 * shared between the assertions of a scenario to keep wall time low.
 */
import { test as meshTest } from '../mesh/fixtures.js'
import {
  append,
  closeAll,
  type DemoPeer,
  entries,
  events,
  expectDirectMesh,
  expectLogs,
  expectOneLeader,
  HEARTBEAT_MS,
  openDemo,
  roomFor,
  setOnline,
  texts,
  view,
  waitForDemo,
} from './demo-fixtures.js'

const test = meshTest
const { expect } = test

// Each scenario shares three or four peers across many steps; on a loaded
// 2-core machine that can pass the suite's default 60 s.
test.describe.configure({ timeout: 120_000 })

async function three(
  browser: Parameters<typeof openDemo>[0],
  room: string,
  relay?: string,
): Promise<DemoPeer[]> {
  return Promise.all(
    ['a', 'b', 'c'].map((label) =>
      openDemo(browser, { room, label, ...(relay === undefined ? {} : { relay }) }),
    ),
  )
}

test.describe('the demo: three peers through the npm start relay', () => {
  test('mesh over direct WebRTC, replicate appends in order, and fail over when the leader closes', async ({
    browser,
  }, testInfo) => {
    const started = Date.now()
    const peers = await three(browser, roomFor(testInfo))
    try {
      await expectDirectMesh(peers)
      const leader = await expectOneLeader(peers)
      const meshedIn = ((Date.now() - started) / 1000).toFixed(1)
      testInfo.annotations.push({
        type: 'meshed, leader elected after',
        description: `${meshedIn} s`,
      })

      const first = Array.from({ length: 5 }, (_, i) => `hello ${i} from ${leader.label}`)
      await append(leader, ...first)
      await expectLogs(peers, first)
      // Same order means same seqs and authors too.
      const reference = await entries(leader)
      for (const peer of peers) expect(await entries(peer)).toEqual(reference)

      // status().mesh carries each link's RTT (a loopback WebRTC round trip: well under 500 ms even on a busy machine).
      for (const peer of peers) {
        await expect
          .poll(
            async () =>
              Object.values((await view(peer)).rtts).filter((r) => r !== null && r < 500).length,
          )
          .toBe(2)
      }

      // The demo's live view: three peers meshed, one link per peer, drawn as WebRTC.
      for (const peer of peers) {
        await expect(peer.page.locator('#graph line.webrtc')).toHaveCount(2)
        await expect(peer.page.locator('#entries li .payload')).toHaveText(first)
      }
      // The control loop's panel is drawn from its snapshot events: it moves on its own.
      for (const peer of peers) {
        const reconciles = peer.page.locator('#control-reconciles')
        await expect(reconciles).toHaveText(/^\d+$/)
        const seen = Number(await reconciles.textContent())
        await expect.poll(async () => Number(await reconciles.textContent())).toBeGreaterThan(seen)
        await expect(peer.page.locator('#control-maintenance')).toHaveText('active')
      }
      await testInfo.attach('demo-three-peers-meshed', {
        body: await leader.page.screenshot({ fullPage: true }),
        contentType: 'image/png',
      })

      // The leader's page closes: the others fail over within 3 heartbeats.
      const rest = peers.filter((p) => p !== leader)
      const closedAt = Date.now()
      await leader.page.close()
      const next = await expectOneLeader(rest, 10_000)
      const elected = (await events(next)).find(
        (e) => e.type === 'role-changed' && e.role === 'leader' && e.at >= closedAt,
      )
      expect(elected, 'the new leader took the role after the close').toBeDefined()
      const failoverMs = (elected?.at ?? Number.POSITIVE_INFINITY) - closedAt
      testInfo.annotations.push({ type: 'failover', description: `${failoverMs} ms` })
      console.log(`[${testInfo.project.name}] new leader ${failoverMs} ms after the leader closed`)
      expect(failoverMs).toBeLessThanOrEqual(3 * HEARTBEAT_MS)

      const second = ['after failover 1', 'after failover 2']
      await append(next, ...second)
      await expectLogs(rest, [...first, ...second])
    } finally {
      await closeAll(peers)
    }
  })

  test('a peer that goes offline appends, comes back, and every entry is everywhere exactly once; a reload keeps log and identity', async ({
    browser,
  }, testInfo) => {
    const peers = await three(browser, roomFor(testInfo))
    try {
      await expectDirectMesh(peers)
      const leader = await expectOneLeader(peers)
      const before = ['one', 'two', 'three']
      await append(leader, ...before)
      await expectLogs(peers, before)

      // Offline: every link dropped; alone, the peer leads its own partition and can append.
      const away = peers.find((p) => p !== leader) as DemoPeer
      const stay = peers.filter((p) => p !== away)
      await setOnline(away, false)
      await expect.poll(async () => (await view(away)).links).toEqual({})
      await expect.poll(async () => (await view(away)).role, { timeout: 5_000 }).toBe('leader')
      const offline = ['offline 1', 'offline 2', 'offline 3']
      await append(away, ...offline)
      // The others keep their leader (and see the peer unreachable at once)
      // and write too: the leader commits at once, the third peer's write is
      // forwarded to it from its outbox.
      await expect.poll(async () => (await view(leader)).links[away.peerId]).not.toBe('webrtc')
      const third = stay.find((p) => p !== leader) as DemoPeer
      const online = ['online 1', 'online 2']
      await append(leader, 'online 1')
      await append(third, 'online 2')
      await expectLogs(stay, [...before, ...online])

      // Back: relinked over WebRTC; one of the two leaders steps down, cuts
      // its divergent suffix and re-proposes its writes to the winner.
      await setOnline(away, true)
      await expectDirectMesh(peers)
      await expectOneLeader(peers)
      const every = [...before, ...offline, ...online]
      for (const peer of peers) {
        await expect
          .poll(async () => [...(await texts(peer))].sort(), {
            timeout: 30_000,
            message: `${peer.label} holds every write exactly once`,
          })
          .toEqual([...every].sort())
      }
      // One order everywhere, seqs dense, and what was there before the partition stays first.
      // Holding every write does not yet mean one order: a replica that merged
      // the other side's writes in its own order is cut back to the leader's
      // by its next chain probe, a heartbeat or two later.
      await expect
        .poll(
          async () => {
            const logs = await Promise.all(peers.map((p) => entries(p)))
            return new Set(logs.map((log) => JSON.stringify(log))).size
          },
          { timeout: 30_000, message: 'every peer holds the same log' },
        )
        .toBe(1)
      const reference = await entries(peers[0] as DemoPeer)
      expect(reference.slice(0, before.length).map((e) => e.text)).toEqual(before)
      for (const peer of peers) {
        const mine = await entries(peer)
        expect(mine).toEqual(reference)
        expect(mine.map((e) => e.seq)).toEqual(mine.map((_, i) => i))
      }

      // A reload keeps the slot's identity and its log (IndexedDB), and relinks.
      const reloaded = stay.find((p) => p !== leader) ?? (stay[0] as DemoPeer)
      const log = await texts(reloaded)
      await reloaded.page.reload()
      expect(await waitForDemo(reloaded.page, `${reloaded.label} reloaded`)).toBe(reloaded.peerId)
      await expect.poll(() => texts(reloaded)).toEqual(log)
      await expectDirectMesh(peers)
      const current = await expectOneLeader(peers)
      await append(current, 'after reload')
      await expectLogs(peers, [...log, 'after reload'])
    } finally {
      await closeAll(peers)
    }
  })
})

test.describe('the demo survives a relay restart', () => {
  test('peers reconnect to the restarted relay and keep replicating; a newcomer joins through it', async ({
    browser,
    relay,
  }, testInfo) => {
    const room = roomFor(testInfo)
    const peers = await three(browser, room, relay.multiaddr)
    try {
      await expectDirectMesh(peers)
      const leader = await expectOneLeader(peers)
      await append(leader, 'before restart')
      await expectLogs(peers, ['before restart'])

      await relay.restart()
      for (const peer of peers) {
        await expect
          .poll(async () => (await view(peer)).relayJoins, {
            timeout: 30_000,
            message: `${peer.label} rejoined the restarted relay`,
          })
          .toBeGreaterThanOrEqual(2)
      }
      await expectDirectMesh(peers)
      const current = await expectOneLeader(peers)
      await append(current, 'after restart')
      await expectLogs(peers, ['before restart', 'after restart'])

      // The restarted relay introduces a fourth peer, which catches up over WebRTC.
      const d = await openDemo(browser, { room, label: 'd', relay: relay.multiaddr })
      peers.push(d)
      await expectDirectMesh(peers)
      await expectOneLeader(peers)
      await expectLogs(peers, ['before restart', 'after restart'])
    } finally {
      await closeAll(peers)
    }
  })
})
