/**
 * Ed25519 through WebCrypto (Chromium, Firefox, Node 20): native code,
 * many times faster than pure JS, but async per call — so signers and
 * verifiers take whole batches and run their calls in parallel. Imported
 * keys are kept: a signer imports its key once, a verifier once per author
 * (bounded).
 */
import { toString as bytesToString } from 'uint8arrays/to-string'
import type { PeerId } from '../log/ids.js'
import { AuthorKeyCache } from './author-key-cache.js'
import { ed25519PublicKeyOf } from './ed25519-peer-id.js'
import type { EntrySigner, SignatureVerifier, SignedMessage } from './entry-signing.js'

const ED25519 = { name: 'Ed25519' } as const

function subtle(): SubtleCrypto | undefined {
  return (globalThis as { crypto?: Crypto }).crypto?.subtle
}

/** BufferSource views for WebCrypto (a Uint8Array over a shared buffer is refused). */
function bytes(view: Uint8Array): Uint8Array<ArrayBuffer> {
  return view.buffer instanceof ArrayBuffer ? (view as Uint8Array<ArrayBuffer>) : view.slice()
}

let supported: Promise<boolean> | undefined

/** Whether this runtime's WebCrypto signs and verifies Ed25519 (checked once). */
export function webCryptoEd25519Supported(): Promise<boolean> {
  supported ??= (async () => {
    const api = subtle()
    if (api === undefined) return false
    try {
      const pair = (await api.generateKey(ED25519, false, ['sign', 'verify'])) as CryptoKeyPair
      const message = Uint8Array.of(1, 2, 3)
      const signature = await api.sign(ED25519, pair.privateKey, message)
      return await api.verify(ED25519, pair.publicKey, signature, message)
    } catch {
      return false
    }
  })()
  return supported
}

export class WebCryptoEd25519Signer implements EntrySigner {
  readonly author: PeerId
  readonly #key: CryptoKey
  readonly #subtle: SubtleCrypto

  private constructor(author: PeerId, key: CryptoKey, api: SubtleCrypto) {
    this.author = author
    this.#key = key
    this.#subtle = api
  }

  /** `secretKey`: the 32-byte seed; `publicKey`: its 32-byte public key. */
  static async create(
    author: PeerId,
    secretKey: Uint8Array,
    publicKey: Uint8Array,
  ): Promise<WebCryptoEd25519Signer> {
    const api = subtle()
    if (api === undefined) throw new TypeError('WebCrypto is not available')
    const jwk: JsonWebKey = {
      kty: 'OKP',
      crv: 'Ed25519',
      d: bytesToString(secretKey.subarray(0, 32), 'base64url'),
      x: bytesToString(publicKey.subarray(0, 32), 'base64url'),
      ext: false,
      key_ops: ['sign'],
    }
    const key = await api.importKey('jwk', jwk, ED25519, false, ['sign'])
    return new WebCryptoEd25519Signer(author, key, api)
  }

  async sign(messages: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const signatures = await Promise.all(
      messages.map((message) => this.#subtle.sign(ED25519, this.#key, bytes(message))),
    )
    return signatures.map((signature) => new Uint8Array(signature))
  }
}

export class WebCryptoEd25519Verifier implements SignatureVerifier {
  readonly #keys: AuthorKeyCache<Promise<CryptoKey | null>>
  readonly #subtle: SubtleCrypto

  constructor(options: { readonly cacheSize?: number } = {}) {
    const api = subtle()
    if (api === undefined) throw new TypeError('WebCrypto is not available')
    this.#subtle = api
    this.#keys = new AuthorKeyCache(options.cacheSize)
  }

  verify(items: readonly SignedMessage[]): Promise<boolean[]> {
    return Promise.all(items.map((item) => this.#verifyOne(item)))
  }

  async #verifyOne(item: SignedMessage): Promise<boolean> {
    const key = await this.#keys.get(item.author, (author) => this.#importKey(author))
    if (key === null) return false
    try {
      return await this.#subtle.verify(ED25519, key, bytes(item.signature), bytes(item.message))
    } catch {
      return false
    }
  }

  async #importKey(author: PeerId): Promise<CryptoKey | null> {
    const raw = ed25519PublicKeyOf(author)
    if (raw === undefined) return null
    try {
      return await this.#subtle.importKey('raw', bytes(raw), ED25519, false, ['verify'])
    } catch {
      return null
    }
  }
}
