/**
 * libp2p for Node and edge peers (and the Node tests): WebSockets, noise,
 * yamux, identify, and the circuit-relay transport so browsers behind the
 * relay can reach it and it can reach them. No WebRTC: Node has no
 * RTCPeerConnection without a native module.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { identify } from '@libp2p/identify'
import type { PrivateKey } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import { createLibp2p } from 'libp2p'
import type { MeshNode } from './mesh-node.js'
import { installNodePolyfills } from './node-polyfills.js'

export type { MeshNode } from './mesh-node.js'

export interface EdgeNodeOptions {
  /** The node's identity; a fresh Ed25519 key when absent. */
  readonly privateKey?: PrivateKey
  /** WebSocket addresses to listen on, e.g. `/ip4/127.0.0.1/tcp/0/ws`. Default none. */
  readonly listen?: readonly string[]
  /** Take a reservation on relays we connect to, so peers can dial us through them. Default true. */
  readonly reachableViaRelay?: boolean
  /** Upper bound on open connections. Default 64. */
  readonly maxConnections?: number
  /** Deadline of one dial, all addresses included. Default 10 s. */
  readonly dialTimeoutMs?: number
}

export async function createEdgeNode(options: EdgeNodeOptions = {}): Promise<MeshNode> {
  await installNodePolyfills()
  const relayed = options.reachableViaRelay ?? true
  return createLibp2p({
    ...(options.privateKey === undefined ? {} : { privateKey: options.privateKey }),
    start: false,
    addresses: { listen: [...(options.listen ?? []), ...(relayed ? ['/p2p-circuit'] : [])] },
    transports: [webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: options.maxConnections ?? 64,
      dialTimeout: options.dialTimeoutMs ?? 10_000,
    },
    services: { identify: identify() },
  })
}
