import { describe, expect, it } from 'vitest'
import { DirectoryError } from '../net-errors.js'
import {
  decodeClientMessage,
  decodeServerMessage,
  encodeDirectoryMessage,
  MAX_MEMBER_ADDRS,
} from './directory-messages.js'

const PEER = '12D3KooWJ7qcDkjEiErF3XWeWfmTmeq9aVb3L1h4dzbTNfTCvvQK'
const ADDR = `/ip4/127.0.0.1/tcp/9090/ws/p2p/12D3KooWRqAUEzPwKMoGstpfJVqr3aoinwKVPu4DLo9nQncbnuLk/p2p-circuit/p2p/${PEER}`
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value))

function reason(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(DirectoryError)
    return (err as DirectoryError).details.reason
  }
  throw new Error('expected a DirectoryError')
}

describe('directory messages round-trip', () => {
  it('client messages', () => {
    for (const message of [
      { t: 'join', room: 'chat.eu-1', addrs: [ADDR] },
      { t: 'update', addrs: [] },
    ] as const) {
      expect(decodeClientMessage(encodeDirectoryMessage(message))).toEqual(message)
    }
  })

  it('server messages', () => {
    for (const message of [
      { t: 'member', peer: PEER, addrs: [ADDR] },
      { t: 'welcome', members: 3 },
      { t: 'left', peer: PEER },
      { t: 'error', code: 'room-full', message: 'room chat is full' },
    ] as const) {
      expect(decodeServerMessage(encodeDirectoryMessage(message))).toEqual(message)
    }
  })
})

describe('directory messages are decoded strictly', () => {
  it('refuses what is not a JSON object of a known type', () => {
    expect(reason(() => decodeClientMessage(new TextEncoder().encode('nope')))).toBe(
      'invalid-message',
    )
    expect(reason(() => decodeClientMessage(bytes([1, 2])))).toBe('invalid-message')
    expect(reason(() => decodeClientMessage(bytes({ t: 'leave' })))).toBe('invalid-message')
    expect(
      reason(() => decodeServerMessage(bytes({ t: 'error', code: 'oops', message: 'x' }))),
    ).toBe('invalid-message')
  })

  it('bounds room names, address lists, addresses and peer ids', () => {
    expect(reason(() => decodeClientMessage(bytes({ t: 'join', room: 'a b', addrs: [] })))).toBe(
      'invalid-message',
    )
    expect(
      reason(() => decodeClientMessage(bytes({ t: 'join', room: 'r'.repeat(65), addrs: [] }))),
    ).toBe('invalid-message')
    const tooMany = Array.from({ length: MAX_MEMBER_ADDRS + 1 }, () => ADDR)
    expect(reason(() => decodeClientMessage(bytes({ t: 'update', addrs: tooMany })))).toBe(
      'invalid-message',
    )
    expect(
      reason(() => decodeClientMessage(bytes({ t: 'update', addrs: ['/not/a/multiaddr'] }))),
    ).toBe('invalid-message')
    expect(reason(() => decodeServerMessage(bytes({ t: 'left', peer: 'not a peer id' })))).toBe(
      'invalid-message',
    )
  })

  it('refuses messages over the size limit, both ways', () => {
    const big = { t: 'join', room: 'r', addrs: [ADDR] } as const
    expect(reason(() => encodeDirectoryMessage(big, 64))).toBe('invalid-message')
    expect(reason(() => decodeClientMessage(encodeDirectoryMessage(big), 64))).toBe(
      'invalid-message',
    )
  })
})
