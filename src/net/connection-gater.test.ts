import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { relayGater } from './connection-gater.js'

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWRqAUEzPwKMoGstpfJVqr3aoinwKVPu4DLo9nQncbnuLk'
const PEER = '12D3KooWJ7qcDkjEiErF3XWeWfmTmeq9aVb3L1h4dzbTNfTCvvQK'

describe('a browser node dials its relay and nothing else private', () => {
  const gater = relayGater([multiaddr(RELAY)])
  const denied = (addr: string) => gater.denyDialMultiaddr?.(multiaddr(addr))

  it('allows the relay and circuits through it', () => {
    expect(denied(RELAY)).toBe(false)
    expect(denied(`${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`)).toBe(false)
    expect(denied(`${RELAY}/p2p-circuit/p2p/${PEER}`)).toBe(false)
  })

  it('denies other private or plain-ws addresses', () => {
    expect(denied(`/ip4/127.0.0.1/tcp/9091/ws/p2p/${PEER}`)).toBe(true)
    expect(denied(`/ip4/192.168.1.5/tcp/443/tls/ws/p2p/${PEER}`)).toBe(true)
    expect(denied(`/ip4/8.8.8.8/tcp/80/ws/p2p/${PEER}`)).toBe(true)
  })

  it('allows public secure websockets, like the libp2p default', () => {
    expect(denied(`/ip4/8.8.8.8/tcp/443/tls/ws/p2p/${PEER}`)).toBe(false)
  })
})
