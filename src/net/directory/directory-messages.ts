/**
 * `/meshlog/directory/1.0.0`: how peers find each other through the relay.
 * A peer opens one stream per room to the relay and sends `join` with the
 * room name and the addresses it can be dialled on (its circuit addresses
 * through this relay). The relay answers with one `member` per current member,
 * then `welcome` (the snapshot is complete), then pushes `member` (joined or
 * changed addresses) and `left` as they happen. The entry lives exactly as
 * long as the stream: closing it, or losing the connection, is leaving.
 *
 * Messages are UTF-8 JSON objects, varint-length-prefixed (`lpStream`), each
 * at most `maxMessageBytes`. Decoding is strict: a wrong type, an unknown
 * `t`, an over-long name or address list is an `invalid-message` error.
 */
import { multiaddr } from '@multiformats/multiaddr'
import { describeValue } from '../../core/errors.js'
import { DirectoryError } from '../net-errors.js'

export const DIRECTORY_PROTOCOL = '/meshlog/directory/1.0.0'
export const DEFAULT_MAX_DIRECTORY_MESSAGE_BYTES = 8 << 10
export const MAX_ROOM_NAME_LENGTH = 64
export const MAX_MEMBER_ADDRS = 8
export const MAX_ADDR_LENGTH = 512
const MAX_PEER_ID_LENGTH = 128
const MAX_ERROR_MESSAGE_LENGTH = 256

export type DirectoryErrorCode =
  | 'invalid-message'
  | 'join-timeout'
  | 'room-full'
  | 'too-many-rooms'
  | 'not-your-address'
  | 'slow-consumer'
  | 'replaced'
  | 'shutting-down'

const ERROR_CODES: ReadonlySet<string> = new Set<DirectoryErrorCode>([
  'invalid-message',
  'join-timeout',
  'room-full',
  'too-many-rooms',
  'not-your-address',
  'slow-consumer',
  'replaced',
  'shutting-down',
])

export interface DirectoryMember {
  readonly peer: string
  readonly addrs: readonly string[]
}

export type ClientMessage =
  | { readonly t: 'join'; readonly room: string; readonly addrs: readonly string[] }
  | { readonly t: 'update'; readonly addrs: readonly string[] }

export type ServerMessage =
  | { readonly t: 'member'; readonly peer: string; readonly addrs: readonly string[] }
  | { readonly t: 'welcome'; readonly members: number }
  | { readonly t: 'left'; readonly peer: string }
  | { readonly t: 'error'; readonly code: DirectoryErrorCode; readonly message: string }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

export function invalidMessage(
  message: string,
  details: Record<string, unknown> = {},
): DirectoryError {
  return new DirectoryError(message, { details: { reason: 'invalid-message', ...details } })
}

export function encodeDirectoryMessage(
  message: ClientMessage | ServerMessage,
  maxBytes = DEFAULT_MAX_DIRECTORY_MESSAGE_BYTES,
): Uint8Array {
  const bytes = encoder.encode(JSON.stringify(message))
  if (bytes.byteLength > maxBytes) {
    throw invalidMessage(`directory message of ${bytes.byteLength} bytes exceeds ${maxBytes}`, {
      t: message.t,
    })
  }
  return bytes
}

function parseObject(bytes: Uint8Array, maxBytes: number): Record<string, unknown> {
  if (bytes.byteLength > maxBytes) {
    throw invalidMessage(`directory message of ${bytes.byteLength} bytes exceeds ${maxBytes}`)
  }
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    throw new DirectoryError('directory message is not UTF-8 JSON', {
      cause: err,
      details: { reason: 'invalid-message' },
    })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidMessage('directory message must be a JSON object', { value: describeValue(value) })
  }
  return value as Record<string, unknown>
}

function boundedString(name: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw invalidMessage(`${name} must be a string of 1 to ${maxLength} characters`, {
      [name]: describeValue(value),
    })
  }
  return value
}

export function checkRoomName(value: unknown): string {
  const room = boundedString('room', value, MAX_ROOM_NAME_LENGTH)
  if (!/^[\w.:-]+$/.test(room)) {
    throw invalidMessage('room may hold only letters, digits and _ . : -', {
      room: describeValue(room),
    })
  }
  return room
}

function checkPeer(value: unknown): string {
  const peer = boundedString('peer', value, MAX_PEER_ID_LENGTH)
  if (!/^[1-9A-HJ-NP-Za-km-z]+$|^b[a-z2-7]+$/.test(peer)) {
    throw invalidMessage('peer is not a peer id string', { peer: describeValue(peer) })
  }
  return peer
}

function checkAddrs(value: unknown): string[] {
  if (!Array.isArray(value) || value.length > MAX_MEMBER_ADDRS) {
    throw invalidMessage(`addrs must be an array of at most ${MAX_MEMBER_ADDRS} multiaddrs`, {
      addrs: describeValue(value),
    })
  }
  return value.map((addr: unknown) => {
    const text = boundedString('addr', addr, MAX_ADDR_LENGTH)
    try {
      multiaddr(text)
    } catch (err) {
      throw new DirectoryError('addr is not a multiaddr', {
        cause: err,
        details: { reason: 'invalid-message', addr: describeValue(text) },
      })
    }
    return text
  })
}

export function decodeClientMessage(
  bytes: Uint8Array,
  maxBytes = DEFAULT_MAX_DIRECTORY_MESSAGE_BYTES,
): ClientMessage {
  const raw = parseObject(bytes, maxBytes)
  switch (raw.t) {
    case 'join':
      return { t: 'join', room: checkRoomName(raw.room), addrs: checkAddrs(raw.addrs) }
    case 'update':
      return { t: 'update', addrs: checkAddrs(raw.addrs) }
    default:
      throw invalidMessage('unknown client message', { t: describeValue(raw.t) })
  }
}

export function decodeServerMessage(
  bytes: Uint8Array,
  maxBytes = DEFAULT_MAX_DIRECTORY_MESSAGE_BYTES,
): ServerMessage {
  const raw = parseObject(bytes, maxBytes)
  switch (raw.t) {
    case 'member':
      return { t: 'member', peer: checkPeer(raw.peer), addrs: checkAddrs(raw.addrs) }
    case 'welcome': {
      const members = raw.members
      if (typeof members !== 'number' || !Number.isSafeInteger(members) || members < 0) {
        throw invalidMessage('welcome.members must be a non-negative integer', {
          members: describeValue(members),
        })
      }
      return { t: 'welcome', members }
    }
    case 'left':
      return { t: 'left', peer: checkPeer(raw.peer) }
    case 'error': {
      const code = raw.code
      if (typeof code !== 'string' || !ERROR_CODES.has(code)) {
        throw invalidMessage('unknown directory error code', { code: describeValue(code) })
      }
      const message = boundedString('message', raw.message, MAX_ERROR_MESSAGE_LENGTH)
      return { t: 'error', code: code as DirectoryErrorCode, message }
    }
    default:
      throw invalidMessage('unknown server message', { t: describeValue(raw.t) })
  }
}
