/**
 * The meshlog relay: a Node libp2p node that browsers reach over WebSockets.
 * It runs the circuit-relay-v2 server (WebRTC signalling between tabs goes
 * through it, and relayed links when WebRTC fails), identify (clients learn
 * it offers the hop protocol), and the directory through which peers find
 * each other. Limits: relay-limits.ts.
 */
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { type CircuitRelayService, circuitRelayServer } from '@libp2p/circuit-relay-v2'
import { type Identify, identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { webSockets } from '@libp2p/websockets'
import type { Multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { installNodePolyfills } from '../net/node-polyfills.js'
import { DirectoryService, type DirectoryStats } from './directory-service.js'
import { type JsonLog, silentLog } from './json-log.js'
import { loadOrCreateKeyFile } from './relay-key-file.js'
import { type RelayLimits, relayLimits } from './relay-limits.js'

export interface RelayOptions {
  /** Interface to listen on. Default 127.0.0.1. */
  readonly host?: string
  /** WebSocket port; 0 picks a free one. Default 9090. */
  readonly port?: number
  /** Where the relay keeps its key so its peer id survives restarts. */
  readonly keyFile?: string
  /** The identity to use instead of a key file or a fresh key. */
  readonly privateKey?: PrivateKey
  readonly limits?: Partial<RelayLimits>
  readonly log?: JsonLog
  /** How long `stop()` may take before connections are dropped. Default 5 s. */
  readonly stopTimeoutMs?: number
}

type RelayServices = { identify: Identify; relay: CircuitRelayService }

export interface RelayStatus {
  readonly peerId: string
  readonly multiaddrs: readonly string[]
  readonly connections: number
  readonly reservations: number
  readonly directory: DirectoryStats
}

export class Relay {
  readonly node: Libp2p<RelayServices>
  readonly limits: RelayLimits
  readonly directory: DirectoryService
  readonly #log: JsonLog
  readonly #stopTimeoutMs: number
  #running = false
  #stopping: Promise<void> | undefined

  private constructor(
    node: Libp2p<RelayServices>,
    limits: RelayLimits,
    log: JsonLog,
    stopMs: number,
  ) {
    this.node = node
    this.limits = limits
    this.#log = log
    this.#stopTimeoutMs = stopMs
    this.directory = new DirectoryService(node, limits, log)
  }

  static async create(options: RelayOptions = {}): Promise<Relay> {
    await installNodePolyfills()
    const limits = relayLimits(options.limits)
    const host = options.host ?? '127.0.0.1'
    const port = options.port ?? 9090
    const privateKey =
      options.privateKey ??
      (options.keyFile === undefined ? undefined : await loadOrCreateKeyFile(options.keyFile))
    const node = await createLibp2p({
      ...(privateKey === undefined ? {} : { privateKey }),
      start: false,
      addresses: { listen: [`/ip4/${host}/tcp/${port}/ws`] },
      transports: [webSockets()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: {
        maxConnections: limits.maxConnections,
        inboundConnectionThreshold: limits.inboundConnectionsPerSecondPerHost,
        maxIncomingPendingConnections: limits.maxIncomingPendingConnections,
      },
      services: {
        identify: identify(),
        relay: circuitRelayServer({
          reservations: {
            maxReservations: limits.maxReservations,
            reservationTtl: limits.reservationTtlMs,
            applyDefaultLimit: true,
            // milliseconds on the server; see the units quirk in relay-limits.ts
            defaultDurationLimit: limits.relayedConnectionDurationMs,
            defaultDataLimit: limits.relayedConnectionDataBytes,
          },
        }),
      },
    })
    return new Relay(node, limits, options.log ?? silentLog, options.stopTimeoutMs ?? 5_000)
  }

  get peerId(): string {
    return this.node.peerId.toString()
  }

  /** Addresses browsers dial, each ending in `/p2p/<relay peer id>`. */
  get multiaddrs(): Multiaddr[] {
    return this.node.getMultiaddrs()
  }

  async start(): Promise<void> {
    if (this.#running) return
    await this.node.start()
    await this.directory.start()
    this.#running = true
    this.node.addEventListener('peer:connect', this.#onConnect)
    this.node.addEventListener('peer:disconnect', this.#onDisconnect)
    this.#log('info', 'relay-listening', {
      peerId: this.peerId,
      multiaddr: this.multiaddrs[0]?.toString(),
      multiaddrs: this.multiaddrs.map(String),
      limits: this.limits,
    })
  }

  /** Stops accepting, tells directory members, closes connections; bounded by the stop deadline. */
  stop(): Promise<void> {
    if (!this.#running) return this.#stopping ?? Promise.resolve()
    this.#running = false
    this.#stopping = this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    this.#log('info', 'relay-stopping', { connections: this.node.getConnections().length })
    this.node.removeEventListener('peer:connect', this.#onConnect)
    this.node.removeEventListener('peer:disconnect', this.#onDisconnect)
    let timer: ReturnType<typeof setTimeout> | undefined
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#stopTimeoutMs)
    })
    const graceful = (async () => {
      await this.directory.stop()
      await this.node.stop()
      return 'stopped' as const
    })()
    const outcome = await Promise.race([graceful, deadline])
    clearTimeout(timer)
    if (outcome === 'timeout') {
      for (const connection of this.node.getConnections()) {
        connection.abort(new Error('relay stopping'))
      }
      await graceful
    }
    this.#log('info', 'relay-stopped', { outcome })
  }

  status(): RelayStatus {
    return {
      peerId: this.peerId,
      multiaddrs: this.multiaddrs.map(String),
      connections: this.node.getConnections().length,
      reservations: this.node.services.relay.reservations.size,
      directory: this.directory.stats(),
    }
  }

  readonly #onConnect = (event: CustomEvent<{ toString(): string }>): void => {
    this.#log('debug', 'peer-connected', { peer: event.detail.toString() })
  }

  readonly #onDisconnect = (event: CustomEvent<{ toString(): string }>): void => {
    this.#log('debug', 'peer-disconnected', { peer: event.detail.toString() })
  }
}
