/**
 * Our Ed25519 peer-id decoding (src/core/crypto/ed25519-peer-id.ts) against
 * libp2p's own: core imports no libp2p, so the check that both agree lives
 * here, beside the code that hands libp2p's peer ids to the worker.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { ed25519PublicKeyOf, peerIdOfEd25519Key } from '../core/crypto/ed25519-peer-id.js'
import { testAuthor } from '../core/crypto/test-authors.js'

describe('Ed25519 peer ids carry their public key', () => {
  it('decodes the key of a libp2p Ed25519 peer id, as @libp2p/peer-id does', async () => {
    const key = await generateKeyPair('Ed25519')
    const id = peerIdFromPrivateKey(key).toString()
    expect(ed25519PublicKeyOf(id)).toEqual(key.publicKey.raw)
    expect(peerIdOfEd25519Key(key.publicKey.raw)).toBe(id)
    expect(peerIdFromString(testAuthor(1).author).publicKey?.raw).toEqual(testAuthor(1).publicKey)
  })
})
