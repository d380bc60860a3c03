/**
 * The multiaddrs the mesh dials. A browser behind the relay is reachable at
 *   <relay>/p2p-circuit/webrtc/p2p/<peer>  WebRTC, signalled through the relay
 *   <relay>/p2p-circuit/p2p/<peer>         a relayed circuit (limited)
 * where <relay> ends in `/p2p/<relay peer id>`.
 */
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { InvalidArgumentError } from '../core/errors.js'

/** The peer id an address ends with (its last `/p2p/…`), if any. */
export function peerIdOfAddr(addr: Multiaddr): string | undefined {
  let last: string | undefined
  for (const component of addr.getComponents()) {
    if (component.name === 'p2p') last = component.value
  }
  return last
}

function names(addr: Multiaddr): string[] {
  return addr.getComponents().map((c) => c.name)
}

export function isCircuitAddr(addr: Multiaddr): boolean {
  return names(addr).includes('p2p-circuit')
}

export function isWebRTCAddr(addr: Multiaddr): boolean {
  return names(addr).includes('webrtc')
}

/** A relay address must name the relay: `…/ws/p2p/<relay id>`. */
export function checkRelayAddr(addr: Multiaddr | string): Multiaddr {
  const relay = typeof addr === 'string' ? multiaddr(addr) : addr
  if (peerIdOfAddr(relay) === undefined || isCircuitAddr(relay)) {
    throw new InvalidArgumentError('relay address must end in /p2p/<relay peer id>', {
      details: { relay: relay.toString() },
    })
  }
  return relay
}

export function webRTCAddrVia(relay: Multiaddr, peer: string): Multiaddr {
  return multiaddr(`${relay.toString()}/p2p-circuit/webrtc/p2p/${peer}`)
}

export function relayedAddrVia(relay: Multiaddr, peer: string): Multiaddr {
  return multiaddr(`${relay.toString()}/p2p-circuit/p2p/${peer}`)
}
