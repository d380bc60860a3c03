/**
 * Options, events and the status snapshot of `MeshNetwork`, with the
 * defaults and bounds in one place.
 */
import type { Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { describeValue, InvalidArgumentError } from '../core/errors.js'
import type { PeerId } from '../core/log/ids.js'
import type { LinkKind } from '../core/transport/link.js'
import { checkRelayAddr } from './addresses.js'
import { type BackoffPolicy, checkBackoff } from './backoff.js'
import { checkRoomName } from './directory/directory-messages.js'
import { type DialRoute, dialPeer } from './peer-dialer.js'
import type { RelayState } from './relay-session.js'
import type { StreamLink, StreamLinkOptions } from './stream-link.js'

export interface MeshNetworkOptions {
  /** A libp2p node from `createBrowserNode` or `createEdgeNode`; the mesh starts and stops it. */
  readonly node: Libp2p
  /** The relay, ending in `/p2p/<relay peer id>`. */
  readonly relay: Multiaddr | string
  /** Directory room: peers in the same room find each other. Default `default`. */
  readonly room?: string
  /** Dial peers over WebRTC. Default: when `RTCPeerConnection` exists (browser pages). */
  readonly webRTC?: boolean
  /** Most peers linked (and tracked) at once. Default 32. */
  readonly maxPeers?: number
  /** Peer dials in flight at once. Default 4. */
  readonly dialConcurrency?: number
  /** Deadline of each dial attempt (relay, WebRTC, relayed, stream open). Default 10 s. */
  readonly dialTimeoutMs?: number
  /**
   * WebRTC attempts of each upgrade of a relayed link. Default 3. A first
   * dial makes one attempt, then links over the relayed circuit at once and
   * upgrades from there, so a peer is never left unlinked while WebRTC is
   * retried.
   */
  readonly webRTCAttempts?: number
  /**
   * Deadline of the first WebRTC attempt. Default 3 s: a handshake takes well
   * under a second here (1.5 s on a loaded 2-core machine), and one that
   * stalls is better abandoned for the relayed circuit (the stalls seen in
   * the e2e runs were a libp2p race, now worked around:
   * `webrtc-init-channel.ts`).
   */
  readonly webRTCAttemptTimeoutMs?: number
  /**
   * Each later WebRTC attempt's deadline doubles, up to this. Default 6 s:
   * libp2p stops a dial of one address after its connection manager's
   * `addressDialTimeout` (6 s by default) whatever deadline we set.
   */
  readonly webRTCAttemptTimeoutMaxMs?: number
  /**
   * When the directory says a linked peer left (or it is missing after a
   * rejoin), the link must answer a ping within this long or it is closed.
   * Default 3 s.
   */
  readonly probeTimeoutMs?: number
  /** Redial delays for a peer whose link dropped or whose dial failed. */
  readonly peerBackoff?: BackoffPolicy
  /** Reconnect delays for the relay. */
  readonly relayBackoff?: BackoffPolicy
  /** Delays between attempts to replace a relayed link by WebRTC. */
  readonly upgradeBackoff?: BackoffPolicy
  /**
   * How long the peer with the larger id waits for the other to dial before
   * dialling itself. Default: enough for a first dial's WebRTC attempt and
   * the relayed fallback, plus 2 s.
   */
  readonly acceptGraceMs?: number
  readonly link?: StreamLinkOptions
  /** Bound on `stop()`: links and the node get this long to close. Default 5 s. */
  readonly stopTimeoutMs?: number
  /**
   * How one member is dialled. Default `dialPeer` (peer-dialer.ts); tests
   * wrap it to inject failures, instrumentation to time dials.
   */
  readonly dialPeer?: typeof dialPeer
}

export interface ResolvedMeshOptions {
  readonly relay: Multiaddr
  readonly room: string
  readonly webRTC: boolean
  readonly maxPeers: number
  readonly dialConcurrency: number
  readonly dialTimeoutMs: number
  readonly webRTCAttempts: number
  readonly webRTCAttemptTimeoutMs: number
  readonly webRTCAttemptTimeoutMaxMs: number
  readonly probeTimeoutMs: number
  readonly peerBackoff: BackoffPolicy
  readonly relayBackoff: BackoffPolicy
  readonly upgradeBackoff: BackoffPolicy
  readonly acceptGraceMs: number
  readonly link: StreamLinkOptions
  readonly stopTimeoutMs: number
  readonly dialPeer: typeof dialPeer
}

function bounded(name: string, value: number | undefined, fallback: number, max: number): number {
  const chosen = value ?? fallback
  if (!Number.isSafeInteger(chosen) || chosen < 1 || chosen > max) {
    throw new InvalidArgumentError(`${name} must be an integer in 1..${max}`, {
      details: { [name]: describeValue(value) },
    })
  }
  return chosen
}

export function resolveMeshOptions(options: MeshNetworkOptions): ResolvedMeshOptions {
  const dialTimeoutMs = bounded('dialTimeoutMs', options.dialTimeoutMs, 10_000, 120_000)
  const webRTCAttempts = bounded('webRTCAttempts', options.webRTCAttempts, 3, 10)
  const webRTCAttemptTimeoutMs = bounded(
    'webRTCAttemptTimeoutMs',
    options.webRTCAttemptTimeoutMs,
    3_000,
    120_000,
  )
  const webRTCAttemptTimeoutMaxMs = bounded(
    'webRTCAttemptTimeoutMaxMs',
    options.webRTCAttemptTimeoutMaxMs,
    Math.max(6_000, webRTCAttemptTimeoutMs),
    600_000,
  )
  return {
    relay: checkRelayAddr(options.relay),
    room: checkRoomName(options.room ?? 'default'),
    webRTC: options.webRTC ?? typeof globalThis.RTCPeerConnection === 'function',
    maxPeers: bounded('maxPeers', options.maxPeers, 32, 1024),
    dialConcurrency: bounded('dialConcurrency', options.dialConcurrency, 4, 64),
    dialTimeoutMs,
    webRTCAttempts,
    webRTCAttemptTimeoutMs,
    webRTCAttemptTimeoutMaxMs,
    probeTimeoutMs: bounded('probeTimeoutMs', options.probeTimeoutMs, 3_000, 60_000),
    peerBackoff: checkBackoff(options.peerBackoff ?? { initialMs: 500, maxMs: 30_000, factor: 2 }),
    relayBackoff: checkBackoff(options.relayBackoff ?? { initialMs: 250, maxMs: 5_000, factor: 2 }),
    upgradeBackoff: checkBackoff(
      options.upgradeBackoff ?? { initialMs: 5_000, maxMs: 120_000, factor: 2 },
    ),
    acceptGraceMs: bounded(
      'acceptGraceMs',
      options.acceptGraceMs,
      webRTCAttemptTimeoutMs + dialTimeoutMs + 2_000,
      600_000,
    ),
    link: options.link ?? {},
    stopTimeoutMs: bounded('stopTimeoutMs', options.stopTimeoutMs, 5_000, 120_000),
    dialPeer: options.dialPeer ?? dialPeer,
  }
}

export interface MeshNetworkEvents extends Record<string, unknown> {
  /** A link to `peer` is up; hand it to the client (`attachLink`). `replaced` was closed for it. */
  'link-up': { readonly peer: PeerId; readonly link: StreamLink; readonly replaced?: StreamLink }
  /** `link` is gone; if `replacedBy` is set the peer is still linked through it. */
  'link-down': {
    readonly peer: PeerId
    readonly link: StreamLink
    readonly reason?: Error
    readonly replacedBy?: StreamLink
  }
  /**
   * One attempt to reach `peer` over `route` failed. A later attempt or route
   * may still link it; `upgrade` says we held a relayed link and tried WebRTC.
   */
  'dial-attempt-failed': {
    readonly peer: PeerId
    readonly route: DialRoute
    readonly attempt: number
    readonly upgrade: boolean
    readonly error: Error
  }
  /** The room's membership changed (as the relay's directory reports it). */
  'peers-changed': { readonly peers: readonly PeerId[] }
  'relay-state': { readonly state: RelayState; readonly error?: Error }
}

export interface PeerStatus {
  readonly peer: PeerId
  /** In the room's directory right now. */
  readonly member: boolean
  readonly link?: {
    readonly kind: LinkKind
    readonly openedBy: 'local' | 'remote'
    readonly openedAt: number
    readonly rtt?: number
  }
  readonly dialing: boolean
  readonly failures: number
  /** Failed attempts to replace a relayed link by WebRTC since the last success. */
  readonly upgradeFailures: number
  /** When the next dial or upgrade attempt is due (ms since epoch). */
  readonly nextAttemptAt?: number
  readonly lastError?: string
}

export interface MeshCounters {
  dials: number
  dialFailures: number
  webRTCFallbacks: number
  linksUp: number
  linksDown: number
  linksReplaced: number
  duplicateLinksClosed: number
  refusedOverMaxPeers: number
  relayedConnectionsClosed: number
  /** Links closed because they did not answer a probe after the directory lost their peer. */
  linksFailedProbe: number
}

export interface MeshStatus {
  readonly self: PeerId
  readonly started: boolean
  readonly room: string
  readonly relay: {
    readonly addr: string
    readonly state: RelayState
    readonly failures: number
    readonly lastError?: string
  }
  readonly peers: readonly PeerStatus[]
  readonly counters: Readonly<MeshCounters>
}
