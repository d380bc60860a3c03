import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it } from 'vitest'
import type { PeerId } from '../core/log/ids.js'
import type { Relay } from '../relay/relay-node.js'
import { TestNet } from '../relay/test-harness.js'
import { createEdgeNode, type EdgeNodeOptions } from './edge-node.js'
import { MeshNetwork, type MeshNetworkEvents, type MeshNetworkOptions } from './mesh-network.js'
import { DialError } from './net-errors.js'
import { dialPeer } from './peer-dialer.js'
import type { StreamLink } from './stream-link.js'

const net = new TestNet()
afterEach(() => net.stopAll())

const FAST = {
  dialTimeoutMs: 3_000,
  acceptGraceMs: 1_500,
  peerBackoff: { initialMs: 100, maxMs: 1_000, factor: 2 },
  relayBackoff: { initialMs: 100, maxMs: 500, factor: 2 },
} satisfies Partial<MeshNetworkOptions>

function relayAddr(relay: Relay): Multiaddr {
  const addr = relay.multiaddrs[0]
  if (addr === undefined) throw new Error('relay has no address')
  return addr
}

async function meshPeer(
  relay: Multiaddr,
  options: Partial<MeshNetworkOptions> = {},
  node: EdgeNodeOptions = {},
): Promise<MeshNetwork> {
  const mesh = new MeshNetwork({
    node: await createEdgeNode(node),
    relay,
    room: 'test',
    webRTC: false,
    ...FAST,
    ...options,
  })
  net.track(() => mesh.stop())
  await mesh.start()
  return mesh
}

function linkKinds(mesh: MeshNetwork): Record<string, string> {
  return Object.fromEntries([...mesh.links()].map(([peer, link]) => [peer, link.kind]))
}

function linkedTo(mesh: MeshNetwork): string[] {
  return [...mesh.links().keys()].sort()
}

describe('peers find each other through the relay and link once per pair', {
  timeout: 20_000,
}, () => {
  it('three Node peers end with one relayed link to each other peer', async () => {
    const relay = await net.relay()
    const peers = [
      await meshPeer(relayAddr(relay)),
      await meshPeer(relayAddr(relay)),
      await meshPeer(relayAddr(relay)),
    ]
    for (const mesh of peers) {
      const others = peers
        .filter((p) => p !== mesh)
        .map((p) => p.self)
        .sort()
      await expect.poll(() => linkedTo(mesh), { timeout: 10_000 }).toEqual(others)
      expect(Object.values(linkKinds(mesh))).toEqual(['relayed', 'relayed'])
      expect(mesh.members().sort()).toEqual(others)
    }
    const status = peers[0]?.status()
    expect(status?.relay.state).toBe('joined')
    expect(status?.peers.every((p) => p.member && p.link?.kind === 'relayed')).toBe(true)
    expect(relay.status().directory.members).toBe(3)
  })

  it('a first dial makes one WebRTC attempt, and every failed attempt is an event', async () => {
    const relay = await net.relay()
    const attemptsAllowed: number[] = []
    // The WebSocket route of a peer that listens on none fails at once, then the relayed one links.
    const dialPeerSeen: MeshNetworkOptions['dialPeer'] = (member, routes, options, signal) => {
      attemptsAllowed.push(options.webRTCAttempts)
      return dialPeer(member, ['websocket', ...routes], options, signal)
    }
    const a = await meshPeer(relayAddr(relay), { dialPeer: dialPeerSeen })
    const b = await meshPeer(relayAddr(relay), { dialPeer: dialPeerSeen })
    const failed: MeshNetworkEvents['dial-attempt-failed'][] = []
    for (const mesh of [a, b]) mesh.on('dial-attempt-failed', ({ detail }) => failed.push(detail))
    await expect.poll(() => linkKinds(a), { timeout: 10_000 }).toEqual({ [b.self]: 'relayed' })
    expect(attemptsAllowed.every((n) => n === 1)).toBe(true)
    const [first] = failed
    expect(first).toMatchObject({ route: 'websocket', attempt: 1, upgrade: false })
    expect([a.self, b.self]).toContain(first?.peer)
    expect(first?.error).toBeInstanceOf(DialError)
  })

  it('prefers a WebSocket link when a peer listens on one', async () => {
    const relay = await net.relay()
    const ws = { listen: ['/ip4/127.0.0.1/tcp/0/ws'] }
    const a = await meshPeer(relayAddr(relay), {}, ws)
    const b = await meshPeer(relayAddr(relay), {}, ws)
    await expect.poll(() => linkKinds(a), { timeout: 10_000 }).toEqual({ [b.self]: 'websocket' })
    await expect.poll(() => linkKinds(b), { timeout: 10_000 }).toEqual({ [a.self]: 'websocket' })
  })

  it('frames sent on a mesh link arrive in order', async () => {
    const relay = await net.relay()
    const a = await meshPeer(relayAddr(relay))
    const b = await meshPeer(relayAddr(relay))
    await expect
      .poll(() => a.links().has(b.self) && b.links().has(a.self), { timeout: 10_000 })
      .toBe(true)
    // The link each side keeps is the same stream: what a sends, b's link reads.
    const fromA = a.links().get(b.self) as StreamLink
    const atB = b.links().get(a.self) as StreamLink
    const received: number[] = []
    const reading = (async () => {
      for await (const frame of atB.frames) {
        received.push(new DataView(frame.buffer, frame.byteOffset).getUint32(0))
        if (received.length === 500) return
      }
    })()
    for (let i = 0; i < 500; i++) {
      const frame = new Uint8Array(100)
      new DataView(frame.buffer).setUint32(0, i)
      await fromA.send(frame)
    }
    await reading
    expect(received).toEqual(Array.from({ length: 500 }, (_, i) => i))
  })
})

describe('links go down and come back', { timeout: 20_000 }, () => {
  it('a peer that stops is reported by link-down and peers-changed', async () => {
    const relay = await net.relay()
    const a = await meshPeer(relayAddr(relay))
    const b = await meshPeer(relayAddr(relay))
    await expect.poll(() => a.links().has(b.self), { timeout: 10_000 }).toBe(true)
    const down = new Promise<PeerId>((resolve) => {
      a.on('link-down', (e) => resolve(e.detail.peer), { once: true })
    })
    const left = new Promise<readonly PeerId[]>((resolve) => {
      a.on('peers-changed', (e) => resolve(e.detail.peers), { once: true })
    })
    await b.stop()
    expect(await down).toBe(b.self)
    expect(await left).toEqual([])
    expect(a.links().size).toBe(0)
  })

  it('after the relay restarts, peers rejoin and their links come back', async () => {
    const privateKey = await generateKeyPair('Ed25519')
    let relay = await net.relay({ privateKey })
    const addr = relayAddr(relay)
    const port = Number(addr.toString().match(/\/tcp\/(\d+)\//)?.[1])
    const a = await meshPeer(addr)
    const b = await meshPeer(addr)
    await expect.poll(() => linkedTo(a), { timeout: 10_000 }).toEqual([b.self])
    const firstLink = a.links().get(b.self)
    await relay.stop()
    await expect.poll(() => a.status().relay.state, { timeout: 10_000 }).not.toBe('joined')
    await expect.poll(() => a.links().size, { timeout: 10_000 }).toBe(0)
    relay = await net.relay({ privateKey, port })
    expect(relayAddr(relay).toString()).toBe(addr.toString())
    for (const [mesh, other] of [
      [a, b],
      [b, a],
    ] as const) {
      await expect.poll(() => mesh.status().relay.state, { timeout: 10_000 }).toBe('joined')
      await expect.poll(() => linkedTo(mesh), { timeout: 10_000 }).toEqual([other.self])
    }
    expect(a.links().get(b.self)).not.toBe(firstLink)
    expect(a.status().counters.linksUp).toBeGreaterThanOrEqual(2)
  })
})

describe('bounds and lifecycle', { timeout: 20_000 }, () => {
  it('links at most maxPeers peers', async () => {
    const relay = await net.relay()
    const small = await meshPeer(relayAddr(relay), { maxPeers: 1 })
    const others = [await meshPeer(relayAddr(relay)), await meshPeer(relayAddr(relay))]
    await expect.poll(() => small.links().size, { timeout: 10_000 }).toBe(1)
    await expect
      .poll(() => small.status().counters.refusedOverMaxPeers, { timeout: 10_000 })
      .toBeGreaterThan(0)
    expect(small.status().peers).toHaveLength(1)
    // When the linked peer goes, the one left out takes its place.
    const first = linkedTo(small)[0]
    await others.find((o) => o.self === first)?.stop()
    const second = others.find((o) => o.self !== first)?.self
    await expect.poll(() => linkedTo(small), { timeout: 10_000 }).toEqual([second])
  })

  it('start and stop are idempotent, and stop releases the node', async () => {
    const relay = await net.relay()
    const mesh = await meshPeer(relayAddr(relay))
    await Promise.all([mesh.start(), mesh.start()])
    await expect.poll(() => mesh.status().relay.state, { timeout: 10_000 }).toBe('joined')
    await Promise.all([mesh.stop(), mesh.stop()])
    await mesh.stop()
    expect(mesh.status().started).toBe(false)
    expect(mesh.node.status).toBe('stopped')
    await expect.poll(() => relay.directory.stats().members, { timeout: 10_000 }).toBe(0)
  })

  it('a node that cannot start leaves the mesh stopped, and start may be tried again', async () => {
    const relay = await net.relay()
    const busyPort = relayAddr(relay)
      .toString()
      .match(/\/tcp\/(\d+)\//)?.[1]
    const mesh = new MeshNetwork({
      node: await createEdgeNode({ listen: [`/ip4/127.0.0.1/tcp/${busyPort}/ws`] }),
      relay: relayAddr(relay),
      webRTC: false,
    })
    net.track(() => mesh.stop())
    await expect(mesh.start()).rejects.toThrow()
    expect(mesh.status().started).toBe(false)
  })

  it('retries the relay with backoff while it is unreachable', async () => {
    const relay = await net.relay()
    const addr = relayAddr(relay)
    await relay.stop()
    const mesh = await meshPeer(addr)
    await expect.poll(() => mesh.status().relay.failures, { timeout: 10_000 }).toBeGreaterThan(1)
    expect(['connecting', 'backoff']).toContain(mesh.status().relay.state)
    expect(mesh.status().relay.lastError).toBeDefined()
  })
})
