/**
 * What a browser node may dial. libp2p's browser default refuses private
 * addresses and plain `ws://`, which is right for the public internet but
 * also refuses a relay on localhost or the LAN. We allow exactly the
 * configured relays — the relay itself and circuits through it, which is how
 * every peer is reached — and otherwise keep the default refusals.
 */
import type { ConnectionGater } from '@libp2p/interface'
import { isPrivate } from '@libp2p/utils'
import type { Multiaddr } from '@multiformats/multiaddr'

function isInsecureWebSocket(addr: Multiaddr): boolean {
  const names = addr.getComponents().map((c) => c.name)
  return names.includes('ws') && !names.includes('tls')
}

export function relayGater(relays: readonly Multiaddr[]): ConnectionGater {
  const allowed = relays.map((r) => r.toString())
  return {
    denyDialMultiaddr(addr: Multiaddr): boolean {
      const text = addr.toString()
      if (allowed.some((relay) => text === relay || text.startsWith(`${relay}/p2p-circuit`))) {
        return false
      }
      return isInsecureWebSocket(addr) || isPrivate(addr)
    },
  }
}
