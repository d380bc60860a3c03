/**
 * A libp2p Ed25519 peer id carries its public key: it is the base58btc
 * identity multihash of the key's protobuf, 0x00 0x24 | 0x08 0x01 0x12 0x20
 * | 32 key bytes ("12D3KooW…", 52 characters). So a replica needs no key
 * directory to check an author's signature: the author's id is its key.
 * Decoded here with `uint8arrays` (core imports no libp2p package); the
 * tests check it against `@libp2p/peer-id`.
 */
import { equals } from 'uint8arrays/equals'
import { fromString } from 'uint8arrays/from-string'
import { toString as bytesToString } from 'uint8arrays/to-string'
import { type PeerId, peerId } from '../log/ids.js'

export const ED25519_PUBLIC_KEY_BYTES = 32
const PREFIX = Uint8Array.of(0x00, 0x24, 0x08, 0x01, 0x12, 0x20)
const ENCODED_LENGTH = 52

/** The Ed25519 public key inside `author`, or undefined when it is no Ed25519 peer id. */
export function ed25519PublicKeyOf(author: string): Uint8Array | undefined {
  if (author.length !== ENCODED_LENGTH) return undefined
  let bytes: Uint8Array
  try {
    bytes = fromString(author, 'base58btc')
  } catch {
    return undefined
  }
  if (bytes.byteLength !== PREFIX.byteLength + ED25519_PUBLIC_KEY_BYTES) return undefined
  if (!equals(bytes.subarray(0, PREFIX.byteLength), PREFIX)) return undefined
  return bytes.slice(PREFIX.byteLength)
}

/** The libp2p peer id of an Ed25519 public key. */
export function peerIdOfEd25519Key(publicKey: Uint8Array): PeerId {
  const bytes = new Uint8Array(PREFIX.byteLength + ED25519_PUBLIC_KEY_BYTES)
  bytes.set(PREFIX)
  bytes.set(publicKey.subarray(0, ED25519_PUBLIC_KEY_BYTES), PREFIX.byteLength)
  return peerId(bytesToString(bytes, 'base58btc'))
}
