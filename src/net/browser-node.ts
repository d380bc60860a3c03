/**
 * libp2p for a browser page's main thread (RTCPeerConnection does not exist
 * in workers): WebSockets to reach the relay, the circuit-relay transport to
 * be reachable through it, WebRTC for direct links between tabs, noise,
 * yamux, identify. Listening on `/p2p-circuit` takes a reservation on the
 * relay; `/webrtc` accepts WebRTC signalled over such circuits.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { checkRelayAddr } from './addresses.js'
import { relayGater } from './connection-gater.js'
import { loadOrCreatePrivateKey } from './key-store.js'
import type { MeshNode } from './mesh-node.js'

export interface BrowserNodeOptions {
  /** Tab slot: the IndexedDB key under which this page's identity lives. */
  readonly slot: string
  /** Relays this node may dial (each ending in `/p2p/<relay id>`). */
  readonly relays: readonly (Multiaddr | string)[]
  /**
   * ICE servers for WebRTC. Default: @libp2p/webrtc's public STUN servers.
   * Pass `[]` on a LAN or in tests: host candidates suffice there.
   */
  readonly iceServers?: RTCIceServer[]
  /** Upper bound on open connections. Default 64. */
  readonly maxConnections?: number
  /** Deadline of one dial. Default 10 s. */
  readonly dialTimeoutMs?: number
  /** IndexedDB database holding the key. Default `meshlog-keys`. */
  readonly keyDatabase?: string
}

export async function createBrowserNode(options: BrowserNodeOptions): Promise<MeshNode> {
  const relays = options.relays.map((r) => checkRelayAddr(typeof r === 'string' ? multiaddr(r) : r))
  const privateKey = await loadOrCreatePrivateKey(
    options.slot,
    options.keyDatabase === undefined ? {} : { databaseName: options.keyDatabase },
  )
  return createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: ['/p2p-circuit', '/webrtc'] },
    transports: [
      webSockets(),
      webRTC(
        options.iceServers === undefined
          ? {}
          : { rtcConfiguration: { iceServers: options.iceServers } },
      ),
      circuitRelayTransport(),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: relayGater(relays),
    connectionManager: {
      maxConnections: options.maxConnections ?? 64,
      dialTimeout: options.dialTimeoutMs ?? 10_000,
    },
    services: { identify: identify() },
  })
}
