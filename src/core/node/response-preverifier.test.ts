import { describe, expect, it } from 'vitest'
import {
  type EntrySignaturePolicy,
  findForgery,
  type SignatureVerifier,
  type SignedMessage,
  signDrafts,
} from '../crypto/entry-signing.js'
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { testAuthor } from '../crypto/test-authors.js'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { sealEntries } from '../log/entry-chain.js'
import { loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, type Seq } from '../log/ids.js'
import { PREVERIFY_MAX_IN_FLIGHT, ResponsePreverifier } from './response-preverifier.js'

const CH = channelId('pre')
const alice = testAuthor(61)
const mallory = testAuthor(62)

class CountingVerifier implements SignatureVerifier {
  checked = 0
  readonly #inner = new NobleEd25519Verifier()
  verify(items: readonly SignedMessage[]): Promise<boolean[]> {
    this.checked += items.length
    return this.#inner.verify(items)
  }
}

async function chunk(signer = alice.signer): Promise<Entry[]> {
  const hasher = await loadEntryHasher()
  const drafts = [0, 1, 2].map((i) => ({
    author: signer.author,
    authorSeq: i,
    payload: Uint8Array.of(i),
  }))
  const signed = (await signDrafts(signer, hasher, CH, drafts)).map((d) => ({
    ...d,
    author: alice.author,
  }))
  return sealEntries(hasher, CH, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }, signed)
}

async function setup() {
  const hasher = await loadEntryHasher()
  const verifier = new CountingVerifier()
  const base: EntrySignaturePolicy = { verifier, required: true }
  return { hasher, verifier, pre: new ResponsePreverifier(base, hasher) }
}

const routed = () => {
  let resolve: () => void = () => undefined
  const done = new Promise<void>((r) => {
    resolve = r
  })
  return { done, route: () => resolve() }
}

describe('signatures checked ahead of the runtime', () => {
  it('marks a genuine chunk verified, so apply does not check it again', async () => {
    const { hasher, verifier, pre } = await setup()
    const entries = await chunk()
    const r = routed()
    expect(pre.verifyThen(CH, entries, r.route)).toBe(true)
    await r.done
    expect(verifier.checked).toBe(3)
    expect(await findForgery(pre.policy, hasher, CH, entries)).toBeUndefined()
    expect(verifier.checked).toBe(3)
    expect(pre.preverified).toBe(1)
  })

  it('routes a forged chunk all the same, unmarked, so apply finds the forgery', async () => {
    const { hasher, pre } = await setup()
    const forged = await chunk(mallory.signer)
    const r = routed()
    pre.verifyThen(CH, forged, r.route)
    await r.done
    expect(await findForgery(pre.policy, hasher, CH, forged)).toMatchObject({ index: 0 })
    expect(pre.preverified).toBe(0)
  })

  it('keeps at most a few checks in flight; beyond, the caller routes at once', async () => {
    const { pre } = await setup()
    const entries = await chunk()
    const waits = Array.from({ length: PREVERIFY_MAX_IN_FLIGHT }, () => routed())
    for (const w of waits) expect(pre.verifyThen(CH, entries, w.route)).toBe(true)
    expect(pre.verifyThen(CH, entries, () => undefined)).toBe(false)
    await Promise.all(waits.map((w) => w.done))
    expect(pre.verifyThen(CH, entries, () => undefined)).toBe(true)
  })
})
