/**
 * How one peer is dialled, best transport first:
 *   1. WebRTC — `<relay>/p2p-circuit/webrtc/p2p/<peer>`: libp2p signals over a
 *      relayed circuit and hands back a direct WebRTC connection. Only when
 *      both sides run WebRTC (the member announced a `/webrtc` address).
 *      Every attempt has a deadline, doubling per attempt up to a bound;
 *      `webRTCAttempts` says how many (MeshNetwork: one on a first dial,
 *      more when upgrading a relayed link). A handshake that stalls is
 *      abandoned for a new attempt or the relayed circuit; the stalls seen
 *      in the e2e runs (after `webrtc:add-ice-candidate`, both browsers
 *      connected) were a race in @libp2p/webrtc, which
 *      `webrtc-init-channel.ts` works around.
 *   2. WebSockets — a member's own non-circuit addresses (Node/edge peers).
 *   3. The relayed circuit — `<relay>/p2p-circuit/p2p/<peer>`, limited by the
 *      relay, kept until WebRTC can replace it.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { TimeoutError } from '../core/errors.js'
import {
  isCircuitAddr,
  isWebRTCAddr,
  peerIdOfAddr,
  relayedAddrVia,
  webRTCAddrVia,
} from './addresses.js'
import type { BackoffPolicy } from './backoff.js'
import { isAbortLike, retry } from './deadline.js'
import type { DirectoryMember } from './directory/directory-messages.js'
import { linkKindOf } from './link-kind.js'
import { openLink } from './meshlog-protocol.js'
import { DialError } from './net-errors.js'
import type { StreamLink, StreamLinkOptions } from './stream-link.js'

export interface PeerDialerOptions {
  readonly node: Pick<Libp2p, 'dial' | 'getConnections'>
  readonly relay: Multiaddr
  /** This node can dial WebRTC (a browser page with the webRTC transport). */
  readonly webRTC: boolean
  readonly dialTimeoutMs: number
  readonly webRTCAttempts: number
  readonly webRTCAttemptTimeoutMs: number
  /** WebRTC attempt deadlines double from `webRTCAttemptTimeoutMs` up to this. */
  readonly webRTCAttemptTimeoutMaxMs: number
  readonly backoff: BackoffPolicy
  readonly link: StreamLinkOptions
  /** Told of every failed attempt, including those a later attempt or route made good. */
  readonly onAttemptFailed?: (failure: DialAttemptFailure) => void
}

export interface DialAttemptFailure {
  readonly peer: string
  readonly route: DialRoute
  /** 1 for the first attempt over `route`. */
  readonly attempt: number
  readonly error: Error
}

export type DialRoute = 'webrtc' | 'websocket' | 'relayed'

export function canUseWebRTC(member: DirectoryMember, options: Pick<PeerDialerOptions, 'webRTC'>) {
  return options.webRTC && member.addrs.some((a) => isWebRTCAddr(multiaddr(a)))
}

/** The routes worth trying to `member`, best first. */
export function routesTo(member: DirectoryMember, options: Pick<PeerDialerOptions, 'webRTC'>) {
  const routes: DialRoute[] = []
  if (canUseWebRTC(member, options)) routes.push('webrtc')
  if (directAddrs(member).length > 0) routes.push('websocket')
  routes.push('relayed')
  return routes
}

function directAddrs(member: DirectoryMember): Multiaddr[] {
  return member.addrs
    .map((a) => multiaddr(a))
    .filter((a) => !isCircuitAddr(a) && peerIdOfAddr(a) === member.peer)
}

/**
 * Dials `member` over the first route in `routes` that works and opens a
 * link on it. Throws `DialError` (or `AbortedError` when `signal` fires).
 */
export async function dialPeer(
  member: DirectoryMember,
  routes: readonly DialRoute[],
  options: PeerDialerOptions,
  signal: AbortSignal,
): Promise<StreamLink> {
  const failures: string[] = []
  for (const route of routes) {
    try {
      return await dialRoute(member, route, options, signal)
    } catch (err) {
      if (signal.aborted) throw err
      failures.push(`${route}: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  throw new DialError(`could not reach ${member.peer}`, {
    details: { peer: member.peer, routes: [...routes], failures },
  })
}

async function dialRoute(
  member: DirectoryMember,
  route: DialRoute,
  options: PeerDialerOptions,
  signal: AbortSignal,
): Promise<StreamLink> {
  const attempts = route === 'webrtc' ? options.webRTCAttempts : 1
  return retry(
    async (attemptSignal) => {
      // The last step libp2p reported ('webrtc:read-sdp-answer', …), so a
      // dial that ran past its deadline says where it stood.
      let step = 'dial'
      const onProgress = (event: { type: string }) => {
        step = event.type
      }
      try {
        const connection = await connect(member, route, options, attemptSignal, onProgress)
        const kind = linkKindOf(connection)
        if (kind !== route) {
          throw new DialError(`dial over ${route} gave a ${kind} connection`, {
            details: { peer: member.peer, route, kind },
          })
        }
        step = 'open-link'
        return await openLink(connection, {
          signal: attemptSignal,
          timeoutMs: options.dialTimeoutMs,
          attempts: 1,
          link: options.link,
        })
      } catch (err) {
        // Our deadline, or libp2p's own (its addressDialTimeout).
        const timedOut = attemptSignal.aborted || isAbortLike(err)
        if (!timedOut || signal.aborted) throw err
        throw new TimeoutError(
          `dial ${member.peer} over ${route} ran past its deadline at ${step}`,
          {
            cause: err,
            details: { peer: member.peer, route, step },
          },
        )
      }
    },
    {
      what: `dial ${member.peer} over ${route}`,
      attempts,
      attemptTimeoutMs: route === 'webrtc' ? options.webRTCAttemptTimeoutMs : options.dialTimeoutMs,
      ...(route === 'webrtc' ? { attemptTimeoutMaxMs: options.webRTCAttemptTimeoutMaxMs } : {}),
      backoff: options.backoff,
      signal,
      wrap: (message, cause) => new DialError(message, { cause, details: { peer: member.peer } }),
      onAttemptFailed: (error, attempt) =>
        options.onAttemptFailed?.({ peer: member.peer, route, attempt, error }),
    },
  )
}

async function connect(
  member: DirectoryMember,
  route: DialRoute,
  options: PeerDialerOptions,
  signal: AbortSignal,
  onProgress: (event: { type: string }) => void,
): Promise<Connection> {
  switch (route) {
    case 'webrtc':
      return options.node.dial(webRTCAddrVia(options.relay, member.peer), { signal, onProgress })
    case 'websocket':
      return options.node.dial(directAddrs(member), { signal, onProgress })
    case 'relayed': {
      // Reuse an open circuit (e.g. left by WebRTC signalling) before asking the relay for another.
      const existing = options.node
        .getConnections()
        .find(
          (c) =>
            c.remotePeer.toString() === member.peer &&
            c.status === 'open' &&
            linkKindOf(c) === 'relayed',
        )
      return (
        existing ??
        options.node.dial(relayedAddrVia(options.relay, member.peer), { signal, onProgress })
      )
    }
  }
}
