import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, type Page, test } from '@playwright/test'
import { build, type PreviewServer, preview } from 'vite'

// Two tabs of one origin: a bare page around one MeshLog (e2e/pages/tab.ts),
// built by Vite as an app would be, served on its own port.
const ROOT = join(import.meta.dirname, 'pages')
let outDir: string
let server: PreviewServer
let origin: string

test.beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'meshlog-tab-page-'))
  const config = {
    configFile: false as const,
    root: ROOT,
    logLevel: 'warn' as const,
    build: {
      outDir,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: { input: join(ROOT, 'tab.html') },
      // The lazily loaded libp2p chunk is ~560 kB (see vite.config.ts).
      chunkSizeWarningLimit: 640,
    },
    worker: { format: 'es' as const },
  }
  await build(config)
  server = await preview({ ...config, preview: { host: '127.0.0.1', port: 0 } })
  const url = server.resolvedUrls?.local[0]
  if (url === undefined) throw new Error('the preview server has no URL')
  origin = url.replace(/\/$/, '')
})

test.afterAll(async () => {
  await server?.close()
  if (outDir !== undefined) rmSync(outDir, { recursive: true, force: true })
})

async function openTab(page: Page): Promise<void> {
  await page.goto(`${origin}/tab.html`)
  await expect(page.locator('#status')).toHaveText('ready')
}

const CHANNEL = 'reload'

async function roleOf(page: Page) {
  return page.evaluate((channel) => window.meshlogTab.role(channel), CHANNEL)
}

/** Waits until one page leads and the other follows it; returns [leader, replica]. */
async function oneLeader(pages: Page[]): Promise<[Page, Page]> {
  let found: [Page, Page] | undefined
  await expect
    .poll(
      async () => {
        const roles = await Promise.all(pages.map(roleOf))
        const at = roles.findIndex((r) => r.role === 'leader')
        const other = roles[1 - at]
        if (at < 0 || other?.role !== 'replica' || other.leader !== roles[at]?.leader) return false
        found = [pages[at] as Page, pages[1 - at] as Page]
        return true
      },
      { timeout: 20_000 },
    )
    .toBe(true)
  return found as [Page, Page]
}

async function tail(page: Page): Promise<number> {
  return (await page.evaluate((channel) => window.meshlogTab.stored(channel), CHANNEL)).nextSeq
}

test('reloading the leader tab keeps its slot, its peer id and its log', async ({ context }) => {
  const namespace = `e2e-${Date.now().toString(36)}`
  const pages = [await context.newPage(), await context.newPage()]
  for (const page of pages) await openTab(page)
  const ids = []
  for (const page of pages)
    ids.push(await page.evaluate((ns) => window.meshlogTab.start(ns), namespace))
  expect(ids.map((i) => i.slot).sort()).toEqual([0, 1])
  const replicaSet = ids.map((i) => i.peerId)
  for (const page of pages) {
    await page.evaluate(([channel, set]) => window.meshlogTab.open(channel, set), [
      CHANNEL,
      replicaSet,
    ] as [string, string[]])
  }

  const [leader, replica] = await oneLeader(pages)
  const leaderId = ids[pages.indexOf(leader)]
  const texts = Array.from({ length: 50 }, (_, i) => `before reload ${i}`)
  await leader.evaluate(([channel, t]) => window.meshlogTab.append(channel, t), [
    CHANNEL,
    texts,
  ] as [string, string[]])
  await expect.poll(() => tail(replica), { timeout: 20_000 }).toBe(50)
  const before = await leader.evaluate((channel) => window.meshlogTab.read(channel), CHANNEL)

  await leader.reload()
  await expect(leader.locator('#status')).toHaveText('ready')
  const again = await leader.evaluate((ns) => window.meshlogTab.start(ns), namespace)
  expect(again).toEqual(leaderId)
  // Before the channel is opened nothing can replicate: this is its own IndexedDB.
  expect(await tail(leader)).toBe(50)
  expect(await leader.evaluate((channel) => window.meshlogTab.read(channel), CHANNEL)).toEqual(
    before,
  )

  await leader.evaluate(([channel, set]) => window.meshlogTab.open(channel, set), [
    CHANNEL,
    replicaSet,
  ] as [string, string[]])
  const [nextLeader, nextReplica] = await oneLeader(pages)
  await nextLeader.evaluate(([channel, t]) => window.meshlogTab.append(channel, t), [
    CHANNEL,
    ['after reload'],
  ] as [string, string[]])
  await expect.poll(() => tail(nextReplica), { timeout: 20_000 }).toBe(51)
  const [a, b] = await Promise.all(
    pages.map((p) => p.evaluate((channel) => window.meshlogTab.read(channel), CHANNEL)),
  )
  expect(a).toEqual(b)
  expect(a?.slice(0, 50)).toEqual(before)
  expect(a?.[50]?.text).toBe('after reload')
})
