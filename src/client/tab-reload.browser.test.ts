/**
 * A real reload inside the browser suite: the tab is an iframe running the
 * same bare MeshLog page the Playwright reload test builds
 * (e2e/pages/tab.html), served here by Vitest's Vite server. Reloading the
 * iframe unloads its document (releasing its Web Lock and its worker) and
 * starts a fresh one, as a tab reload does.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import type {} from '../../e2e/pages/tab.js'
import { deleteNamespace, freshNamespace } from '../../test/mesh-log-kit.js'

const frames: HTMLIFrameElement[] = []
afterEach(() => {
  for (const frame of frames.splice(0)) frame.remove()
})

function loaded(frame: HTMLIFrameElement): Promise<void> {
  return new Promise((resolve) => frame.addEventListener('load', () => resolve(), { once: true }))
}

async function openTab(): Promise<HTMLIFrameElement> {
  const frame = document.createElement('iframe')
  frame.src = '/e2e/pages/tab.html'
  const ready = loaded(frame)
  document.body.append(frame)
  frames.push(frame)
  await ready
  await expect.poll(() => frame.contentWindow?.meshlogTab !== undefined).toBe(true)
  return frame
}

function tab(frame: HTMLIFrameElement): Window['meshlogTab'] {
  const api = frame.contentWindow?.meshlogTab
  if (api === undefined) throw new Error('the tab page is not ready')
  return api
}

describe(`reloading the leader tab in ${server.browser}`, () => {
  it('keeps its slot, its peer id and its log', async () => {
    const namespace = freshNamespace('reload')
    const frame = await openTab()
    const first = await tab(frame).start(namespace)
    await tab(frame).open('chat', [first.peerId])
    await expect
      .poll(() => tab(frame).role('chat'), { timeout: 10_000 })
      .toMatchObject({ role: 'leader' })
    await tab(frame).append('chat', ['one', 'two', 'three'])
    const before = await tab(frame).read('chat')
    expect(before.map((e) => e.text)).toEqual(['one', 'two', 'three'])

    const reloaded = loaded(frame)
    frame.contentWindow?.location.reload()
    await reloaded
    await expect.poll(() => frame.contentWindow?.meshlogTab !== undefined).toBe(true)

    const second = await tab(frame).start(namespace)
    expect(second).toEqual(first)
    expect(await tab(frame).stored('chat')).toEqual({ firstSeq: 0, nextSeq: 3 })
    expect(await tab(frame).read('chat')).toEqual(before)
    frame.remove()
    await deleteNamespace(namespace, 1)
  })
})
