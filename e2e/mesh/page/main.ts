/**
 * The page the mesh e2e tests open: a browser libp2p node and a MeshNetwork
 * joined through the relay given in the URL (`?relay=…&slot=…&room=…`),
 * with a small API on `window.meshTest` (mesh-test-api.ts). Every link's
 * frames are read as they arrive; a frame's first four bytes are its number.
 */
import { createBrowserNode } from '../../../src/net/browser-node.js'
import { MeshNetwork } from '../../../src/net/mesh-network.js'
import { DialError } from '../../../src/net/net-errors.js'
import { dialPeer } from '../../../src/net/peer-dialer.js'
import type { StreamLink } from '../../../src/net/stream-link.js'
import type { MeshTestApi, MeshTestEvent } from './mesh-test-api.js'

const started = performance.now()
const params = new URLSearchParams(location.search)

function param(name: string): string {
  const value = params.get(name)
  if (value === null || value === '') throw new Error(`missing ?${name}=`)
  return value
}

/**
 * `?failWebRTC=N`: the first N dials that would try WebRTC skip it, as if
 * every WebRTC attempt had failed — to see the relayed fallback and the
 * later upgrade.
 */
function dialerFailingWebRTC(times: number): typeof dialPeer {
  let left = times
  return (member, routes, options, signal) => {
    if (left > 0 && routes[0] === 'webrtc') {
      left--
      const rest = routes.filter((r) => r !== 'webrtc')
      if (rest.length === 0) return Promise.reject(new DialError('injected WebRTC failure'))
      return dialPeer(member, rest, options, signal)
    }
    return dialPeer(member, routes, options, signal)
  }
}

async function main(): Promise<void> {
  const relay = param('relay')
  const node = await createBrowserNode({ slot: param('slot'), relays: [relay], iceServers: [] })
  const mesh = new MeshNetwork({
    node,
    relay,
    room: params.get('room') ?? 'e2e',
    dialTimeoutMs: 8_000,
    webRTCAttemptTimeoutMs: 4_000,
    relayBackoff: { initialMs: 200, maxMs: 2_000, factor: 2 },
    peerBackoff: { initialMs: 300, maxMs: 4_000, factor: 2 },
    upgradeBackoff: { initialMs: 1_000, maxMs: 10_000, factor: 2 },
    dialPeer: dialerFailingWebRTC(Number(params.get('failWebRTC') ?? 0)),
  })
  const events: MeshTestEvent[] = []
  const received = new Map<string, number[]>()
  const at = (): number => Math.round(performance.now() - started)

  async function read(peer: string, link: StreamLink): Promise<void> {
    const list = received.get(peer) ?? []
    received.set(peer, list)
    for await (const frame of link.frames) {
      list.push(new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(0))
    }
  }

  mesh.on('link-up', ({ detail }) => {
    events.push({ type: 'link-up', peer: detail.peer, kind: detail.link.kind, at: at() })
    void read(detail.peer, detail.link)
  })
  mesh.on('link-down', ({ detail }) => {
    events.push({
      type: 'link-down',
      peer: detail.peer,
      kind: detail.link.kind,
      at: at(),
      ...(detail.replacedBy === undefined
        ? {}
        : { detail: `replaced by ${detail.replacedBy.kind}` }),
    })
  })
  mesh.on('dial-attempt-failed', ({ detail }) => {
    events.push({
      type: 'dial-attempt-failed',
      peer: detail.peer,
      detail: `${detail.upgrade ? 'upgrade ' : ''}${detail.route} #${detail.attempt}: ${detail.error.message}`,
      at: at(),
    })
  })
  mesh.on('peers-changed', ({ detail }) => {
    events.push({ type: 'peers-changed', detail: detail.peers.join(','), at: at() })
  })
  mesh.on('relay-state', ({ detail }) => {
    events.push({ type: 'relay-state', detail: detail.state, at: at() })
  })

  await mesh.start()
  const api: MeshTestApi = {
    peerId: mesh.self,
    startedAtMs: at(),
    status: () => mesh.status(),
    linkKinds: () => Object.fromEntries([...mesh.links()].map(([peer, link]) => [peer, link.kind])),
    events: () => [...events],
    async send(peer, from, count, size) {
      const link = mesh.links().get(peer as StreamLink['remotePeer'])
      if (link === undefined) throw new Error(`no link to ${peer}`)
      for (let i = from; i < from + count; i++) {
        const frame = new Uint8Array(Math.max(4, size))
        new DataView(frame.buffer).setUint32(0, i)
        await link.send(frame)
      }
    },
    received: (peer) => [...(received.get(peer) ?? [])],
    stop: () => mesh.stop(),
  }
  window.meshTest = api
  const state = document.getElementById('state')
  if (state !== null) state.textContent = 'ready'
}

main().catch((err: unknown) => {
  window.meshTestError =
    err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)
  console.error(err)
})
