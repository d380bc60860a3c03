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
import { type DataChannelOptions, webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { checkRelayAddr } from './addresses.js'
import { relayGater } from './connection-gater.js'
import { loadOrCreatePrivateKey } from './key-store.js'
import type { MeshNode } from './mesh-node.js'
import { replayLateInitChannelEvents } from './webrtc-init-channel.js'

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
  /**
   * WebRTC data channel tuning, passed to @libp2p/webrtc. Default: messages
   * of up to `WEBRTC_MESSAGE_BYTES` instead of libp2p's 16 KiB.
   */
  readonly dataChannel?: DataChannelOptions
}

/**
 * Largest WebRTC data channel message a browser node sends: Chromium's
 * receive limit (`a=max-message-size:262144`; Firefox takes more). libp2p
 * defaults to 16 KiB for go- and rust-libp2p, which no browser mesh peer
 * is, and sends each message's length prefix as a message of its own, so
 * 16 KiB messages double the message count: between two Chromium pages a
 * bare libp2p stream moved 12 MB/s with 16 KiB messages and 14.5 MB/s with
 * 256 KiB ones, against 14.2 MB/s for a raw data channel (`bench:wire
 * --layers`).
 */
export const WEBRTC_MESSAGE_BYTES = 256 << 10

export async function createBrowserNode(options: BrowserNodeOptions): Promise<MeshNode> {
  // Without it a dial can hang for its whole deadline after both sides connected.
  replayLateInitChannelEvents()
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
      webRTC({
        ...(options.iceServers === undefined
          ? {}
          : { rtcConfiguration: { iceServers: options.iceServers } }),
        dataChannel: { maxMessageSize: WEBRTC_MESSAGE_BYTES, ...options.dataChannel },
      }),
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
