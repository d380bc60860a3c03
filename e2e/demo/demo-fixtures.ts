/**
 * Driving the demo page (demo/, served with its relay by `npm start`, which
 * playwright.config.ts runs) as a mesh peer: each peer gets its own browser
 * context (its own IndexedDB, so its own slot, key and log), and a room of
 * its own test so tests never see each other's peers. `relay` points a page
 * at another relay (the restartable one of e2e/mesh/relay-process.ts);
 * without it the page asks the server for the `npm start` relay.
 */
import type { Browser, BrowserContext, Page, TestInfo } from '@playwright/test'
import { expect } from '@playwright/test'
import type { DemoEntry, DemoEvent, MeshlogDemoApi } from '../../demo/demo-api.js'

/** Where playwright.config.ts serves the demo (absolute: tests also launch a second browser). */
export const DEMO_URL = `http://127.0.0.1:${process.env.E2E_PORT ?? 4174}/`

/** The demo's heartbeat (PeerNode's default). */
export const HEARTBEAT_MS = 500

export interface DemoPeer {
  readonly page: Page
  readonly context: BrowserContext
  readonly peerId: string
  readonly label: string
}

export function roomFor(testInfo: TestInfo): string {
  return `d${testInfo.testId.slice(0, 10)}-${testInfo.project.name}-${testInfo.retry}`
}

export async function openDemo(
  browser: Browser,
  options: { room: string; label: string; relay?: string },
): Promise<DemoPeer> {
  const context = await browser.newContext()
  const page = await context.newPage()
  watch(page, options.label)
  const query = new URLSearchParams({ room: options.room })
  if (options.relay !== undefined) query.set('relay', options.relay)
  await page.goto(`${DEMO_URL}?${query}`)
  return { page, context, peerId: await waitForDemo(page, options.label), label: options.label }
}

function watch(page: Page, label: string): void {
  page.on('pageerror', (err) => console.error(`[${label}] page error: ${err.message}`))
  page.on('console', (message) => {
    const text = message.text()
    // Failed WebSocket dials are expected while the relay restarts.
    if (message.type() === 'error' && !text.startsWith('WebSocket connection to')) {
      console.error(`[${label}] console: ${text}`)
    }
  })
}

export async function waitForDemo(page: Page, label: string): Promise<string> {
  await page.waitForFunction(
    () => window.meshlogDemo !== undefined || window.meshlogDemoError !== undefined,
    undefined,
    { timeout: 30_000 },
  )
  const error = await page.evaluate(() => window.meshlogDemoError)
  if (error !== undefined) throw new Error(`[${label}] demo failed to start: ${error}`)
  return page.evaluate(() => (window.meshlogDemo as MeshlogDemoApi).peerId)
}

export interface PeerView {
  readonly role: string | undefined
  readonly leader: string | undefined
  readonly tail: number | undefined
  /** Mesh link kind per room member (not us), `none` when unlinked. */
  readonly links: Record<string, string>
  /** RTT per linked member, ms (null until a ping answered). */
  readonly rtts: Record<string, number | null>
  readonly relay: string | undefined
  readonly relayJoins: number
  readonly online: boolean | undefined
  /** The chat's replica set size and its inbound drops by reason (for failure messages). */
  readonly replicaSet: number
  readonly drops: Record<string, number>
}

export function view(peer: DemoPeer): Promise<PeerView> {
  return peer.page.evaluate(async () => {
    const s = await (window.meshlogDemo as MeshlogDemoApi).status()
    const chat = s.channels.find((c) => c.channel === 'chat')
    return {
      role: chat?.role,
      leader: chat?.leader ?? undefined,
      tail: chat?.nextSeq,
      links: Object.fromEntries(
        (s.mesh?.peers ?? []).filter((p) => p.member).map((p) => [p.peer, p.link?.kind ?? 'none']),
      ),
      rtts: Object.fromEntries(
        (s.mesh?.peers ?? []).filter((p) => p.link).map((p) => [p.peer, p.link?.rtt ?? null]),
      ),
      relay: s.mesh?.relay.state,
      relayJoins: s.mesh?.relayJoins ?? 0,
      replicaSet: chat?.replicaSet.length ?? 0,
      drops: Object.fromEntries(
        Object.entries(chat?.metrics.drops ?? {}).filter(([k, v]) => k !== 'total' && v > 0),
      ),
      online: s.mesh?.online,
    }
  })
}

export function entries(peer: DemoPeer): Promise<readonly DemoEntry[]> {
  return peer.page.evaluate(() => (window.meshlogDemo as MeshlogDemoApi).entries())
}

export function texts(peer: DemoPeer): Promise<string[]> {
  return entries(peer).then((list) => list.map((e) => e.text))
}

export function events(peer: DemoPeer): Promise<readonly DemoEvent[]> {
  return peer.page.evaluate(() => (window.meshlogDemo as MeshlogDemoApi).events())
}

export async function append(peer: DemoPeer, ...lines: string[]): Promise<void> {
  for (const line of lines) {
    await peer.page.evaluate((text) => (window.meshlogDemo as MeshlogDemoApi).append(text), line)
  }
}

export function setOnline(peer: DemoPeer, online: boolean): Promise<void> {
  return peer.page.evaluate((on) => (window.meshlogDemo as MeshlogDemoApi).setOnline(on), online)
}

/** Polls until every peer has a direct WebRTC link to every other one. */
export async function expectDirectMesh(peers: readonly DemoPeer[], timeout = 30_000) {
  for (const peer of peers) {
    const want = Object.fromEntries(
      peers.filter((p) => p !== peer).map((p) => [p.peerId, 'webrtc'] as const),
    )
    await expect
      .poll(async () => (await view(peer)).links, { timeout, message: `${peer.label} links` })
      .toEqual(want)
  }
}

/** Polls until exactly one of `peers` leads the chat and every other follows it; returns it. */
export async function expectOneLeader(
  peers: readonly DemoPeer[],
  timeout = 20_000,
): Promise<DemoPeer> {
  let leader: DemoPeer | undefined
  let last: PeerView[] = []
  try {
    await expect
      .poll(
        async () => {
          const views = await Promise.all(peers.map(view))
          last = views
          const leaders = peers.filter((_, i) => views[i]?.role === 'leader')
          leader = leaders.length === 1 ? leaders[0] : undefined
          return (
            leader !== undefined &&
            views.every((v, i) => peers[i] === leader || v.leader === leader?.peerId)
          )
        },
        { timeout, message: 'one leader, followed by every other peer' },
      )
      .toBe(true)
  } catch (error) {
    const seen = peers.map((p, i) => ({
      label: p.label,
      peer: p.peerId,
      role: last[i]?.role,
      leader: last[i]?.leader,
      tail: last[i]?.tail,
      links: last[i]?.links,
      replicaSet: last[i]?.replicaSet,
      drops: last[i]?.drops,
    }))
    throw new Error(`no single followed leader; last seen: ${JSON.stringify(seen)}`, {
      cause: error,
    })
  }
  return leader as DemoPeer
}

/** Polls until every peer holds exactly `want`, in that order. */
export async function expectLogs(
  peers: readonly DemoPeer[],
  want: readonly string[],
  timeout = 20_000,
) {
  for (const peer of peers) {
    try {
      await expect.poll(() => texts(peer), { timeout, message: `${peer.label} log` }).toEqual(want)
    } catch (error) {
      // Say where replication stood on every peer, not only which log fell short.
      const seen = await Promise.all(
        peers.map(async (p) => ({ label: p.label, ...(await view(p)) })),
      )
      throw new Error(`${peer.label} log never matched; peers: ${JSON.stringify(seen)}`, {
        cause: error,
      })
    }
  }
}

export async function closeAll(peers: readonly DemoPeer[]): Promise<void> {
  await Promise.all(peers.map((p) => p.context.close().catch(() => undefined)))
}
