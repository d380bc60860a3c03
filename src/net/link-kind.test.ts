import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { isRelayed, linkKindOf } from './link-kind.js'
import { UnsupportedTransportError } from './net-errors.js'

const RELAY = '/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWRqAUEzPwKMoGstpfJVqr3aoinwKVPu4DLo9nQncbnuLk'
const PEER = '12D3KooWJ7qcDkjEiErF3XWeWfmTmeq9aVb3L1h4dzbTNfTCvvQK'
const conn = (addr: string, direct: boolean) => ({ remoteAddr: multiaddr(addr), direct })

describe('the kind of link a connection carries', () => {
  it('a WebRTC connection signalled through the relay is direct WebRTC', () => {
    const c = conn(`${RELAY}/p2p-circuit/webrtc/p2p/${PEER}`, true)
    expect(linkKindOf(c)).toBe('webrtc')
    expect(isRelayed(c)).toBe(false)
  })

  it('a circuit is relayed', () => {
    const c = conn(`${RELAY}/p2p-circuit/p2p/${PEER}`, false)
    expect(linkKindOf(c)).toBe('relayed')
    expect(isRelayed(c)).toBe(true)
  })

  it('a WebSocket connection is websocket', () => {
    expect(linkKindOf(conn(`/ip4/127.0.0.1/tcp/1/ws/p2p/${PEER}`, true))).toBe('websocket')
  })

  it('anything else has no link kind', () => {
    expect(() => linkKindOf(conn(`/ip4/127.0.0.1/tcp/1/p2p/${PEER}`, true))).toThrow(
      UnsupportedTransportError,
    )
  })
})
