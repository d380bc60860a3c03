/**
 * Fixtures for the mesh e2e tests: one relay process per worker (restartable)
 * and `openMeshPage`, which loads the test page (served by
 * scripts/mesh-e2e-server.mjs) joined to that relay and waits until its mesh
 * started. Each test uses its own room, so tests never see each other's pages.
 */
import { type BrowserContext, test as base, expect, type Page } from '@playwright/test'
import type { MeshTestApi } from './page/mesh-test-api.js'
import { RelayProcess } from './relay-process.js'
import { installRtcTrace, rtcTrace } from './rtc-trace.js'

export const MESH_PAGE_URL = `http://127.0.0.1:${process.env.MESH_PORT ?? 4175}/`

export const test = base.extend<{ room: string }, { relay: RelayProcess }>({
  relay: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const relay = new RelayProcess()
      await relay.start()
      await use(relay)
      await relay.dispose()
    },
    { scope: 'worker' },
  ],
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
  room: async ({}, use, testInfo) => {
    await use(`t${testInfo.testId.slice(0, 12)}-${testInfo.retry}-${testInfo.repeatEachIndex}`)
  },
})

export { expect }

export interface MeshPage {
  readonly page: Page
  readonly peerId: string
  readonly label: string
}

export async function openMeshPage(
  context: BrowserContext,
  options: { relay: string; room: string; slot: string; label?: string; failWebRTC?: number },
): Promise<MeshPage> {
  const page = await context.newPage()
  await installRtcTrace(page)
  const label = options.label ?? options.slot
  page.on('pageerror', (err) => console.error(`[${label}] page error: ${err.message}`))
  page.on('console', (message) => {
    // Failed WebSocket dials are expected while the relay restarts; the rest is worth seeing.
    const text = message.text()
    if (message.type() === 'error' && !text.startsWith('WebSocket connection to')) {
      console.error(`[${label}] console: ${text}`)
    }
  })
  const query = new URLSearchParams({
    relay: options.relay,
    room: options.room,
    slot: options.slot,
    failWebRTC: String(options.failWebRTC ?? 0),
  })
  await page.goto(`${MESH_PAGE_URL}?${query}`)
  return { page, peerId: await waitForMesh(page, label), label }
}

/** Waits for the page's mesh to start; a startup error fails with the page's message. */
export async function waitForMesh(page: Page, label: string): Promise<string> {
  await page.waitForFunction(
    () => window.meshTest !== undefined || window.meshTestError !== undefined,
    undefined,
    {
      timeout: 20_000,
    },
  )
  const error = await page.evaluate(() => window.meshTestError)
  if (error !== undefined) throw new Error(`[${label}] mesh failed to start: ${error}`)
  return page.evaluate(() => (window.meshTest as MeshTestApi).peerId)
}

export function status(mesh: MeshPage) {
  return mesh.page.evaluate(() => (window.meshTest as MeshTestApi).status())
}

export function events(mesh: MeshPage) {
  return mesh.page.evaluate(() => (window.meshTest as MeshTestApi).events())
}

export function received(mesh: MeshPage, from: MeshPage): Promise<number[]> {
  return mesh.page.evaluate((peer) => (window.meshTest as MeshTestApi).received(peer), from.peerId)
}

/** Sends frames numbered `first…first+count-1` from `mesh` to `to`. */
export function sendFrames(
  mesh: MeshPage,
  to: MeshPage,
  first: number,
  count: number,
  size: number,
): Promise<void> {
  return mesh.page.evaluate(
    ([peer, f, c, s]) => (window.meshTest as MeshTestApi).send(peer, f, c, s),
    [to.peerId, first, count, size] as const,
  )
}

export function linkKinds(mesh: MeshPage): Promise<Record<string, string>> {
  return mesh.page.evaluate(() => (window.meshTest as MeshTestApi).linkKinds())
}

/** What every page of `pages` should see: a WebRTC link to each other page. */
export function allWebRTC(mesh: MeshPage, pages: readonly MeshPage[]): Record<string, string> {
  return Object.fromEntries(
    pages.filter((p) => p !== mesh).map((p) => [p.peerId, 'webrtc'] as const),
  )
}

/**
 * Polls until every page has a direct WebRTC link to every other page. On a
 * timeout it prints each page's peer states, events (every failed dial
 * attempt with its error) and WebRTC trace, so a mesh that did not form
 * says why.
 */
export async function expectFullWebRTCMesh(pages: readonly MeshPage[], timeout = 30_000) {
  try {
    for (const mesh of pages) {
      await expect
        .poll(() => linkKinds(mesh), { timeout, message: `${mesh.label} links` })
        .toEqual(allWebRTC(mesh, pages))
    }
  } catch (err) {
    await printMeshState(pages)
    throw err
  }
}

/**
 * Prints each page's peers (link, failures, next attempt), its event log and
 * the trace of its RTCPeerConnections (rtc-trace.ts).
 */
export async function printMeshState(pages: readonly MeshPage[]): Promise<void> {
  for (const mesh of pages) {
    const [peers, log] = await Promise.all([status(mesh).then((s) => s.peers), events(mesh)]).catch(
      (err: unknown) => [String(err), []] as const,
    )
    console.error(`[${mesh.label}] ${mesh.peerId} peers: ${JSON.stringify(peers)}`)
    for (const e of log) {
      console.error(
        `[${mesh.label}]   ${e.at} ms ${e.type} ${e.peer ?? ''} ${e.kind ?? ''} ${e.detail ?? ''}`,
      )
    }
    const trace = await rtcTrace(mesh.page).catch((err: unknown) => [String(err)])
    for (const line of trace) console.error(`[${mesh.label}]   rtc ${line}`)
  }
}
