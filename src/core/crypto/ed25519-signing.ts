/**
 * The Ed25519 signer and verifier a peer uses: WebCrypto's where the
 * runtime has Ed25519 (Chromium, Firefox, Node 20 — native and batched),
 * @noble/curves otherwise. Both produce and accept the same signatures.
 */
import type { PeerId } from '../log/ids.js'
import type { EntrySigner, SignatureVerifier } from './entry-signing.js'
import { NobleEd25519Signer, NobleEd25519Verifier } from './noble-ed25519.js'
import {
  WebCryptoEd25519Signer,
  WebCryptoEd25519Verifier,
  webCryptoEd25519Supported,
} from './webcrypto-ed25519.js'

export type Ed25519Implementation = 'webcrypto' | 'noble'

export interface Ed25519Choice {
  /** Default: WebCrypto when it works here, else noble. */
  readonly implementation?: Ed25519Implementation
  /** Most authors whose keys a verifier keeps (default 1024). */
  readonly cacheSize?: number
}

async function choose(choice: Ed25519Choice): Promise<Ed25519Implementation> {
  if (choice.implementation !== undefined) return choice.implementation
  return (await webCryptoEd25519Supported()) ? 'webcrypto' : 'noble'
}

/** Signs as `author` with its 32-byte Ed25519 seed and public key. */
export async function createEd25519Signer(
  author: PeerId,
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  choice: Ed25519Choice = {},
): Promise<EntrySigner> {
  return (await choose(choice)) === 'webcrypto'
    ? WebCryptoEd25519Signer.create(author, secretKey, publicKey)
    : new NobleEd25519Signer(author, secretKey)
}

export async function createEd25519Verifier(
  choice: Ed25519Choice = {},
): Promise<SignatureVerifier> {
  const options = choice.cacheSize === undefined ? {} : { cacheSize: choice.cacheSize }
  return (await choose(choice)) === 'webcrypto'
    ? new WebCryptoEd25519Verifier(options)
    : new NobleEd25519Verifier(options)
}
