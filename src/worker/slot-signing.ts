/**
 * Signed entries in the worker: the slot's libp2p Ed25519 key (the one the
 * page's libp2p node loads for the same slot, kept by net/key-store) is
 * the peer's identity. Its peer id names the peer; the key signs the
 * peer's writes; and the verifier checks every author's signature against
 * the key inside the author's peer id. WebCrypto where the browser has
 * Ed25519, @noble/curves otherwise.
 */

import { peerIdOfEd25519Key } from '../core/crypto/ed25519-peer-id.js'
import { createEd25519Signer, createEd25519Verifier } from '../core/crypto/ed25519-signing.js'
import type { EntrySignaturePolicy, EntrySigner } from '../core/crypto/entry-signing.js'
import type { PeerId } from '../core/log/ids.js'
import { loadOrCreatePrivateKey } from '../net/key-store.js'
import { KeyStoreError } from '../net/net-errors.js'

export interface SlotSigning {
  readonly self: PeerId
  readonly signer: EntrySigner
  readonly signatures: EntrySignaturePolicy
}

export async function slotSigning(
  keyDatabaseName: string,
  slotName: string,
  groupSize?: number,
): Promise<SlotSigning> {
  const key = await loadOrCreatePrivateKey(slotName, { databaseName: keyDatabaseName })
  if (key.type !== 'Ed25519') {
    throw new KeyStoreError(
      `slot ${slotName} holds a ${key.type} key; signed entries need Ed25519`,
      {
        details: { slot: slotName, type: key.type },
      },
    )
  }
  const publicKey = key.publicKey.raw
  const self = peerIdOfEd25519Key(publicKey)
  // A libp2p Ed25519 private key's raw bytes are the 32-byte seed, then the public key.
  const ed25519 = await createEd25519Signer(self, key.raw.subarray(0, 32), publicKey)
  const signer: EntrySigner =
    groupSize === undefined
      ? ed25519
      : { author: self, groupSize, sign: (messages) => ed25519.sign(messages) }
  return { self, signer, signatures: { verifier: await createEd25519Verifier(), required: true } }
}
