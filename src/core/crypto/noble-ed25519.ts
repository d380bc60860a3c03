/**
 * Ed25519 in pure JavaScript (@noble/curves): synchronous and the same on
 * every runtime, so the simulator stays deterministic, and the fallback
 * where WebCrypto has no Ed25519. Slow: about 1 ms to sign and 2 ms to
 * verify on this machine (README, "Signed entries").
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import type { PeerId } from '../log/ids.js'
import { AuthorKeyCache } from './author-key-cache.js'
import { ed25519PublicKeyOf } from './ed25519-peer-id.js'
import type { EntrySigner, SignatureVerifier, SignedMessage } from './entry-signing.js'

export class NobleEd25519Signer implements EntrySigner {
  readonly author: PeerId
  readonly #secretKey: Uint8Array

  /** `secretKey`: the 32-byte Ed25519 seed (the first half of a libp2p private key's `raw`). */
  constructor(author: PeerId, secretKey: Uint8Array) {
    this.author = author
    this.#secretKey = secretKey.slice(0, 32)
  }

  async sign(messages: readonly Uint8Array[]): Promise<Uint8Array[]> {
    return messages.map((message) => ed25519.sign(message, this.#secretKey))
  }
}

export class NobleEd25519Verifier implements SignatureVerifier {
  readonly #keys: AuthorKeyCache<Uint8Array | null>

  constructor(options: { readonly cacheSize?: number } = {}) {
    this.#keys = new AuthorKeyCache(options.cacheSize)
  }

  async verify(items: readonly SignedMessage[]): Promise<boolean[]> {
    return items.map((item) => this.verifyNow(item))
  }

  /** The synchronous check, for callers that cannot wait. */
  verifyNow(item: SignedMessage): boolean {
    const key = this.#keys.get(item.author, (author) => ed25519PublicKeyOf(author) ?? null)
    if (key === null) return false
    try {
      return ed25519.verify(item.signature, item.message, key)
    } catch {
      return false
    }
  }
}
