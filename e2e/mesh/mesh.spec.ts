import {
  events,
  expect,
  expectFullWebRTCMesh,
  linkKinds,
  type MeshPage,
  openMeshPage,
  received,
  sendFrames,
  status,
  test,
  waitForMesh,
} from './fixtures.js'

// Runs in the chromium and firefox projects: pages of one browser meshing
// with each other over direct WebRTC, introduced through the relay.

const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i)

async function threePages(
  context: Parameters<typeof openMeshPage>[0],
  relay: string,
  room: string,
): Promise<MeshPage[]> {
  return Promise.all(
    ['a', 'b', 'c'].map((slot) => openMeshPage(context, { relay, room, slot: `${room}-${slot}` })),
  )
}

test.describe('browsers mesh over direct WebRTC through the relay', () => {
  test('three pages join, link to each other over WebRTC (not the relay), and frames arrive in order', async ({
    context,
    relay,
    room,
  }, testInfo) => {
    const started = Date.now()
    const pages = await threePages(context, relay.multiaddr, room)
    await expectFullWebRTCMesh(pages)
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    testInfo.annotations.push({ type: 'full WebRTC mesh after', description: `${seconds} s` })
    console.log(`[${testInfo.project.name}] 3 pages fully meshed over WebRTC in ${seconds} s`)
    for (const mesh of pages) {
      const snapshot = await status(mesh)
      expect(snapshot.relay.state).toBe('joined')
      expect(snapshot.peers.filter((p) => p.member)).toHaveLength(2)
      // Each peer's last link to go up was WebRTC. On a loaded machine a
      // WebRTC dial can run out of attempts and fall back to the relayed
      // circuit first (the designed fallback, tested on its own below);
      // that is reported, and the relayed link must have been replaced.
      const ups = (await events(mesh)).filter((e) => e.type === 'link-up')
      for (const peer of new Set(ups.map((e) => e.peer))) {
        expect(ups.filter((e) => e.peer === peer).at(-1)?.kind).toBe('webrtc')
      }
      const fallbacks = snapshot.counters.webRTCFallbacks
      if (fallbacks > 0) {
        testInfo.annotations.push({
          type: 'WebRTC fallback',
          description: `${mesh.peerId}: ${fallbacks} relayed first, upgraded since`,
        })
        console.log(`[${testInfo.project.name}] ${fallbacks} link(s) relayed before WebRTC`)
      }
    }

    const [a, b, c] = pages
    if (a === undefined || b === undefined || c === undefined) throw new Error('three pages')
    // Small frames one way, 64 KiB frames back (four WebRTC messages each), 1 MiB frames from c.
    await Promise.all([
      sendFrames(a, b, 0, 300, 1024),
      sendFrames(b, a, 1000, 100, 64 << 10),
      sendFrames(c, a, 5000, 5, 1 << 20),
    ])
    await expect.poll(() => received(b, a), { timeout: 20_000 }).toEqual(range(0, 300))
    await expect.poll(() => received(a, b), { timeout: 20_000 }).toEqual(range(1000, 100))
    await expect.poll(() => received(a, c), { timeout: 20_000 }).toEqual(range(5000, 5))
  })

  test('when WebRTC fails the pages link over the relay, and switch to WebRTC once it works', async ({
    context,
    relay,
    room,
  }) => {
    // Each page skips WebRTC on its first dial: the first link is a relayed circuit.
    const [a, b] = await Promise.all(
      ['a', 'b'].map((slot) =>
        openMeshPage(context, {
          relay: relay.multiaddr,
          room,
          slot: `${room}-${slot}`,
          failWebRTC: 1,
        }),
      ),
    )
    if (a === undefined || b === undefined) throw new Error('two pages')
    await expectFullWebRTCMesh([a, b])
    for (const [mesh, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const ups = (await events(mesh)).filter((e) => e.type === 'link-up').map((e) => e.kind)
      expect(ups).toEqual(['relayed', 'webrtc'])
      const downs = (await events(mesh)).filter((e) => e.type === 'link-down')
      expect(downs).toMatchObject([
        { peer: other.peerId, kind: 'relayed', detail: 'replaced by webrtc' },
      ])
      expect((await status(mesh)).counters.linksReplaced).toBe(1)
    }
    await sendFrames(a, b, 0, 50, 512)
    await expect.poll(() => received(b, a)).toEqual(range(0, 50))
  })

  test('a page that closes is reported link-down by the others', async ({
    context,
    relay,
    room,
  }) => {
    const [a, b, c] = await threePages(context, relay.multiaddr, room)
    if (a === undefined || b === undefined || c === undefined) throw new Error('three pages')
    // Only the starting point: under load a pair may fall back to the relay
    // and take a few backoff rounds to upgrade (one clean-clone CI run needed
    // more than 30 s). What this test checks is the link-down below.
    test.setTimeout(90_000)
    await expectFullWebRTCMesh([a, b, c], 50_000)
    await c.page.close()
    for (const mesh of [a, b]) {
      await expect
        .poll(
          async () =>
            (await events(mesh)).some((e) => e.type === 'link-down' && e.peer === c.peerId),
          {
            timeout: 30_000,
          },
        )
        .toBe(true)
      await expect
        .poll(() => linkKinds(mesh))
        .toEqual({ [mesh === a ? b.peerId : a.peerId]: 'webrtc' })
    }
  })

  test('after the relay restarts, pages rejoin and the mesh keeps and regains its links', async ({
    context,
    relay,
    room,
  }) => {
    const pages = await threePages(context, relay.multiaddr, room)
    await expectFullWebRTCMesh(pages)
    await relay.restart()
    for (const mesh of pages) {
      await expect
        .poll(async () => (await events(mesh)).filter((e) => e.detail === 'joined').length, {
          timeout: 30_000,
          message: `${mesh.label} rejoined the directory`,
        })
        .toBeGreaterThanOrEqual(2)
    }
    await expectFullWebRTCMesh(pages)
    // The relay works again for newcomers: a fourth page reaches everyone over WebRTC.
    const d = await openMeshPage(context, { relay: relay.multiaddr, room, slot: `${room}-d` })
    await expectFullWebRTCMesh([...pages, d])
    const [a] = pages
    if (a === undefined) throw new Error('pages')
    await sendFrames(d, a, 0, 20, 100)
    await expect.poll(() => received(a, d)).toEqual(range(0, 20))
  })

  test('a reloaded page keeps its peer id and is linked again', async ({
    context,
    relay,
    room,
  }) => {
    const [a, b] = await Promise.all(
      ['a', 'b'].map((slot) =>
        openMeshPage(context, { relay: relay.multiaddr, room, slot: `${room}-${slot}` }),
      ),
    )
    if (a === undefined || b === undefined) throw new Error('two pages')
    await expectFullWebRTCMesh([a, b])
    await b.page.reload()
    expect(await waitForMesh(b.page, 'b reloaded')).toBe(b.peerId)
    await expectFullWebRTCMesh([a, b])
    await sendFrames(b, a, 0, 10, 100)
    await expect.poll(() => received(a, b)).toEqual(range(0, 10))
  })
})
