/**
 * The browser mesh on the page, as one more transport of a MeshLog (beside
 * the worker's tab links): it starts the libp2p browser node with the slot's
 * persisted key (so the peer id survives reloads), keeps a MeshNetwork in the
 * room through the relay, and hands every link it brings up to the frame
 * port, which pumps its frames to the worker. RTCPeerConnection does not
 * exist in workers, so this part has to live here.
 *
 * Offline and back: `setOnline(false)` stops the network (every link closes,
 * the worker learns each peer is unreachable at once) and `setOnline(true)`
 * starts a fresh node with the same key and rejoins the room.
 *
 * Each link is pinged when it comes up and every `RTT_PING_INTERVAL_MS`
 * after, so `status()` shows a current RTT per peer (a link only pings by
 * itself after 10 s of silence).
 *
 * A page that goes away (`pagehide`: closed, reloaded, navigated) closes its
 * links on the way out, so its peers see them close at once and fail over
 * without waiting for a probe or for missed heartbeats.
 */

import { InvalidArgumentError } from '../core/errors.js'
import { TypedEventTarget } from '../core/events/typed-event-target.js'
import { type PeerId, peerId } from '../core/log/ids.js'
import type { Link } from '../core/transport/link.js'
import { checkRelayAddr } from '../net/addresses.js'
import { createBrowserNode } from '../net/browser-node.js'
import { checkRoomName } from '../net/directory/directory-messages.js'
import { MeshNetwork, type MeshNetworkOptions, type MeshStatus } from '../net/mesh-network.js'
import type { MeshNode } from '../net/mesh-node.js'

/** Tuning passed through to MeshNetwork (see src/net/README.md for defaults). */
export type MeshTuning = Omit<MeshNetworkOptions, 'node' | 'relay' | 'room'>

export interface MeshJoinOptions {
  /** The relay's multiaddr, ending in `/p2p/<relay peer id>` (printed by `meshlog-relay`). */
  readonly relay: string
  /** Peers in the same room find each other. Default `default`. */
  readonly room?: string
  /** ICE servers for WebRTC. Default: libp2p's public STUN servers; `[]` on a LAN. */
  readonly iceServers?: RTCIceServer[]
  /** IndexedDB database of the libp2p keys. Default `meshlog-keys`. */
  readonly keyDatabase?: string
  readonly network?: MeshTuning
}

export interface MeshTransportStatus extends MeshStatus {
  /** False after `setOnline(false)`: no relay, no links, until back online. */
  readonly online: boolean
  /** Times this page joined the room through the relay (rejoins after relay restarts count). */
  readonly relayJoins: number
}

export interface MeshTransportEvents extends Record<string, unknown> {
  /** The room's members right now (not us), as the relay's directory says. */
  'members-changed': { readonly members: readonly PeerId[] }
  /** A link came up (attach it) */
  'link-up': { readonly link: Link }
  'online-changed': { readonly online: boolean }
}

export function checkMeshJoinOptions(value: unknown): MeshJoinOptions {
  if (typeof value !== 'object' || value === null) {
    throw new InvalidArgumentError('option mesh must be an object with a relay', {
      details: { option: 'mesh' },
    })
  }
  const options = value as MeshJoinOptions
  try {
    checkRelayAddr(options.relay)
    checkRoomName(options.room ?? 'default')
  } catch (error) {
    throw new InvalidArgumentError(
      `option mesh is invalid: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, details: { option: 'mesh' } },
    )
  }
  return options
}

/** How often every link is pinged for its RTT. */
export const RTT_PING_INTERVAL_MS = 5_000
const RTT_PING_TIMEOUT_MS = 5_000

export class MeshTransport extends TypedEventTarget<MeshTransportEvents> {
  readonly self: PeerId
  readonly room: string
  readonly #options: MeshJoinOptions
  readonly #keySlot: string
  #node: MeshNode
  #network: MeshNetwork | undefined
  #online = false
  #switching: Promise<void> = Promise.resolve()
  #closed = false
  #relayJoins = 0
  #pinger: ReturnType<typeof setInterval> | undefined

  /** Loads (or makes) the slot's key and builds the node; nothing is dialled yet. */
  static async create(keySlot: string, options: MeshJoinOptions): Promise<MeshTransport> {
    checkMeshJoinOptions(options)
    const node = await MeshTransport.#newNode(keySlot, options)
    return new MeshTransport(keySlot, options, node)
  }

  static #newNode(keySlot: string, options: MeshJoinOptions): Promise<MeshNode> {
    return createBrowserNode({
      slot: keySlot,
      relays: [options.relay],
      ...(options.iceServers === undefined ? {} : { iceServers: options.iceServers }),
      ...(options.keyDatabase === undefined ? {} : { keyDatabase: options.keyDatabase }),
    })
  }

  private constructor(keySlot: string, options: MeshJoinOptions, node: MeshNode) {
    super()
    this.#keySlot = keySlot
    this.#options = options
    this.#node = node
    this.self = peerId(node.peerId.toString())
    this.room = options.room ?? 'default'
    globalThis.addEventListener?.('pagehide', this.#onPageHide)
  }

  readonly #onPageHide = (): void => {
    for (const link of this.#network?.links().values() ?? []) link.close()
  }

  get online(): boolean {
    return this.#online
  }

  /** Members of the room right now (empty while offline). */
  members(): PeerId[] {
    return this.#network?.members() ?? []
  }

  /** Joins the room (or leaves it); calls are serialized. Resolves once the node runs or stopped. */
  setOnline(online: boolean): Promise<void> {
    this.#switching = this.#switching
      .catch(() => undefined)
      .then(() => (online ? this.#goOnline() : this.#goOffline()))
    return this.#switching
  }

  status(): MeshTransportStatus | undefined {
    const network = this.#network
    if (network === undefined) return undefined
    return { ...network.status(), online: this.#online, relayJoins: this.#relayJoins }
  }

  /** Leaves the room and stops the node. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return this.#switching.catch(() => undefined)
    globalThis.removeEventListener?.('pagehide', this.#onPageHide)
    await this.setOnline(false).catch(() => undefined)
    this.#closed = true
  }

  async #goOnline(): Promise<void> {
    if (this.#online || this.#closed) return
    // A stopped libp2p node is not restarted: a fresh one with the same key is.
    if (this.#network !== undefined) {
      this.#node = await MeshTransport.#newNode(this.#keySlot, this.#options)
    }
    const network = new MeshNetwork({
      ...this.#options.network,
      node: this.#node,
      relay: this.#options.relay,
      room: this.room,
    })
    network.on('link-up', ({ detail }) => {
      if (this.#network !== network) {
        detail.link.close()
        return
      }
      this.emit('link-up', { link: detail.link })
      detail.link.ping(RTT_PING_TIMEOUT_MS).catch(() => undefined)
    })
    network.on('peers-changed', ({ detail }) => {
      if (this.#network === network) this.emit('members-changed', { members: detail.peers })
    })
    network.on('relay-state', ({ detail }) => {
      if (detail.state === 'joined') this.#relayJoins++
    })
    this.#network = network
    clearInterval(this.#pinger)
    this.#pinger = setInterval(() => {
      for (const link of network.links().values()) {
        link.ping(RTT_PING_TIMEOUT_MS).catch(() => undefined)
      }
    }, RTT_PING_INTERVAL_MS)
    await network.start()
    this.#online = true
    this.emit('online-changed', { online: true })
  }

  async #goOffline(): Promise<void> {
    const network = this.#network
    if (!this.#online || network === undefined) return
    this.#online = false
    clearInterval(this.#pinger)
    this.#pinger = undefined
    await network.stop()
    this.emit('online-changed', { online: false })
    this.emit('members-changed', { members: [] })
  }
}
