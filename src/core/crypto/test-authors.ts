/**
 * Deterministic Ed25519 authors for tests, benchmarks and the simulator:
 * a seed gives the same key and libp2p peer id every run.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import type { PeerId } from '../log/ids.js'
import { seededBytes } from '../log/test-entries.js'
import { peerIdOfEd25519Key } from './ed25519-peer-id.js'
import { NobleEd25519Signer } from './noble-ed25519.js'

export interface TestAuthor {
  readonly author: PeerId
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
  readonly signer: NobleEd25519Signer
}

export function testAuthor(seed: number): TestAuthor {
  const secretKey = seededBytes(seed, 32)
  const publicKey = ed25519.getPublicKey(secretKey)
  const author = peerIdOfEd25519Key(publicKey)
  return { author, secretKey, publicKey, signer: new NobleEd25519Signer(author, secretKey) }
}
