/**
 * Which `LinkKind` a libp2p connection is. A browser-to-browser WebRTC
 * connection keeps the circuit address it was signalled over
 * (`…/p2p-circuit/webrtc/p2p/…`) yet is direct: `direct: true`, no `limits`.
 * A relayed circuit is `direct: false` and carries the relay's `limits`.
 */
import type { Connection } from '@libp2p/interface'
import type { LinkKind } from '../core/transport/link.js'
import { UnsupportedTransportError } from './net-errors.js'

/** Better links first: a peer keeps the best kind it has. */
export const LINK_KIND_RANK: Readonly<Record<LinkKind, number>> = {
  memory: 5,
  'broadcast-channel': 4,
  webrtc: 3,
  websocket: 2,
  relayed: 1,
}

type ConnectionShape = Pick<Connection, 'remoteAddr' | 'direct' | 'limits'>

export function linkKindOf(connection: ConnectionShape): LinkKind {
  const names = connection.remoteAddr.getComponents().map((c) => c.name)
  if (names.includes('webrtc') || names.includes('webrtc-direct')) return 'webrtc'
  if (names.includes('p2p-circuit')) return 'relayed'
  if (names.includes('ws') || names.includes('wss')) return 'websocket'
  throw new UnsupportedTransportError(
    'connection runs over a transport meshlog has no link kind for',
    {
      details: { remoteAddr: connection.remoteAddr.toString(), direct: connection.direct },
    },
  )
}

/** True when a connection goes through a relay and so counts against its limits. */
export function isRelayed(connection: ConnectionShape): boolean {
  const names = connection.remoteAddr.getComponents().map((c) => c.name)
  return names.includes('p2p-circuit') && !names.includes('webrtc')
}
