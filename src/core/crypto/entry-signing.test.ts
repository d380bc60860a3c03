import { beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../errors.js'
import type { EntryDraft } from '../log/entry.js'
import { createJsHasher, type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, peerId } from '../log/ids.js'
import { ForgedEntryError } from '../log/log-errors.js'
import { AuthorKeyCache } from './author-key-cache.js'
import { ed25519PublicKeyOf } from './ed25519-peer-id.js'
import { createEd25519Signer, createEd25519Verifier } from './ed25519-signing.js'
import {
  checkSignatures,
  type EntrySignaturePolicy,
  entrySigningMessage,
  signDrafts,
  verifyDraft,
} from './entry-signing.js'
import { NobleEd25519Verifier } from './noble-ed25519.js'
import { testAuthor } from './test-authors.js'
import { WebCryptoEd25519Verifier, webCryptoEd25519Supported } from './webcrypto-ed25519.js'

const chat = channelId('chat')
let hasher: EntryHasher
beforeAll(async () => {
  hasher = await loadEntryHasher()
})

function draft(author: ReturnType<typeof testAuthor>, authorSeq: number, text: string): EntryDraft {
  return { author: author.author, authorSeq, payload: new TextEncoder().encode(text) }
}

async function policyOf(
  kind: 'noble' | 'webcrypto',
  required = true,
): Promise<EntrySignaturePolicy> {
  return { verifier: await createEd25519Verifier({ implementation: kind }), required }
}

describe('Ed25519 peer ids carry their public key', () => {
  // That they agree with libp2p's own peer ids is checked in src/net (core imports no libp2p).
  it('finds no key in other ids', async () => {
    const rsaLike = 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'
    for (const id of ['peer-a', rsaLike, `${testAuthor(1).author.slice(0, 51)}0`, '']) {
      expect(ed25519PublicKeyOf(id)).toBeUndefined()
    }
  })
})

describe('what is signed', () => {
  it('covers channel, author, authorSeq and payload, under a domain tag', () => {
    const a = testAuthor(1)
    const base = entrySigningMessage(hasher, chat, draft(a, 0, 'hi'))
    expect(new TextDecoder().decode(base.subarray(0, 17))).toBe('meshlog/entry/v1\n')
    const variants = [
      entrySigningMessage(hasher, channelId('other'), draft(a, 0, 'hi')),
      entrySigningMessage(hasher, chat, draft(testAuthor(2), 0, 'hi')),
      entrySigningMessage(hasher, chat, draft(a, 1, 'hi')),
      entrySigningMessage(hasher, chat, draft(a, 0, 'ho')),
      entrySigningMessage(hasher, chat, draft(a, 2 ** 32, 'hi')),
    ]
    for (const v of variants) expect(v).not.toEqual(base)
  })

  it('is the same with the WebAssembly and the JS hasher', () => {
    const d = draft(testAuthor(3), 7, 'same')
    expect(entrySigningMessage(createJsHasher(), chat, d)).toEqual(
      entrySigningMessage(hasher, chat, d),
    )
  })
})

describe.each(['noble', 'webcrypto'] as const)('%s Ed25519', (kind) => {
  it('runs here', async () => {
    if (kind === 'webcrypto') expect(await webCryptoEd25519Supported()).toBe(true)
  })

  it('a signed draft verifies, and its signature survives a seq assignment', async () => {
    const a = testAuthor(1)
    const signer = await createEd25519Signer(a.author, a.secretKey, a.publicKey, {
      implementation: kind,
    })
    const [signed] = await signDrafts(signer, hasher, chat, [draft(a, 0, 'hello')])
    expect(signed?.signature?.byteLength).toBe(64)
    await verifyDraft(await policyOf(kind), hasher, chat, signed as EntryDraft)
    // An entry is the draft plus seq and hashes: those are not signed.
    const entry = { ...(signed as EntryDraft), channel: chat, seq: 41 }
    await checkSignatures(await policyOf(kind), hasher, chat, [entry])
  })

  it('forged signature rejected', async () => {
    const a = testAuthor(1)
    const mallory = testAuthor(2)
    // Mallory signs a write in Alice's name with her own key.
    const [forged] = await signDrafts(mallory.signer, hasher, chat, [draft(mallory, 0, 'pay')])
    const inAlicesName = { ...(forged as EntryDraft), author: a.author }
    const error = await verifyDraft(await policyOf(kind), hasher, chat, inAlicesName).catch(
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(ForgedEntryError)
    expect((error as ForgedEntryError).details).toMatchObject({
      author: a.author,
      reason: 'bad-signature',
    })
  })

  it('rejects a genuine signature moved to another payload, authorSeq or channel', async () => {
    const a = testAuthor(1)
    const [signed] = (await signDrafts(a.signer, hasher, chat, [
      draft(a, 5, 'genuine'),
    ])) as EntryDraft[]
    const policy = await policyOf(kind)
    const moved: [EntryDraft, typeof chat][] = [
      [{ ...(signed as EntryDraft), payload: new TextEncoder().encode('tampered') }, chat],
      [{ ...(signed as EntryDraft), authorSeq: 6 }, chat],
      [signed as EntryDraft, channelId('elsewhere')],
    ]
    for (const [d, channel] of moved) {
      await expect(verifyDraft(policy, hasher, channel, d)).rejects.toBeInstanceOf(ForgedEntryError)
    }
  })

  it('rejects unsigned drafts when signatures are required, and takes them otherwise', async () => {
    const unsigned = draft(testAuthor(1), 0, 'plain')
    await expect(
      verifyDraft(await policyOf(kind, true), hasher, chat, unsigned),
    ).rejects.toMatchObject({ details: { reason: 'missing-signature' } })
    await verifyDraft(await policyOf(kind, false), hasher, chat, unsigned)
    const short = { ...unsigned, signature: new Uint8Array(63) }
    await expect(
      verifyDraft(await policyOf(kind, false), hasher, chat, short),
    ).rejects.toMatchObject({ details: { reason: 'malformed-signature' } })
  })

  it('rejects a signature by an author whose id holds no Ed25519 key', async () => {
    const a = testAuthor(1)
    const [signed] = (await signDrafts(a.signer, hasher, chat, [draft(a, 0, 'x')])) as EntryDraft[]
    const renamed = { ...(signed as EntryDraft), author: peerId('peer-a') }
    await expect(verifyDraft(await policyOf(kind), hasher, chat, renamed)).rejects.toMatchObject({
      details: { reason: 'bad-signature', author: 'peer-a' },
    })
  })

  it('names the first forgery of a batch', async () => {
    const a = testAuthor(1)
    const drafts = await signDrafts(
      a.signer,
      hasher,
      chat,
      [0, 1, 2].map((i) => draft(a, i, `${i}`)),
    )
    drafts[2] = { ...(drafts[2] as EntryDraft), payload: Uint8Array.of(9) }
    drafts[1] = { ...(drafts[1] as EntryDraft), payload: Uint8Array.of(9) }
    await expect(checkSignatures(await policyOf(kind), hasher, chat, drafts)).rejects.toMatchObject(
      { details: { authorSeq: 1 } },
    )
  })
})

describe('the two implementations agree', () => {
  it('verifies noble signatures with WebCrypto and WebCrypto signatures with noble', async () => {
    const a = testAuthor(4)
    const web = await createEd25519Signer(a.author, a.secretKey, a.publicKey, {
      implementation: 'webcrypto',
    })
    const drafts = [draft(a, 0, 'one'), draft(a, 1, 'two')]
    const byNoble = await signDrafts(a.signer, hasher, chat, drafts)
    const byWeb = await signDrafts(web, hasher, chat, drafts)
    // Ed25519 is deterministic: the same key signs the same message the same way.
    expect(byWeb.map((d) => d.signature)).toEqual(byNoble.map((d) => d.signature))
    await checkSignatures(await policyOf('webcrypto'), hasher, chat, byNoble)
    await checkSignatures(await policyOf('noble'), hasher, chat, byWeb)
  })

  it('signs only as its own author', async () => {
    const a = testAuthor(1)
    await expect(
      signDrafts(a.signer, hasher, chat, [draft(testAuthor(2), 0, 'x')]),
    ).rejects.toBeInstanceOf(InvalidArgumentError)
  })
})

describe('verifiers keep a bounded number of author keys', () => {
  it('evicts the least recently used author', () => {
    const cache = new AuthorKeyCache<number>(2)
    let made = 0
    const make = () => ++made
    cache.get(peerId('a'), make)
    cache.get(peerId('b'), make)
    cache.get(peerId('a'), make)
    cache.get(peerId('c'), make)
    expect(cache.size).toBe(2)
    expect(cache.get(peerId('a'), make)).toBe(1)
    expect(cache.get(peerId('b'), make)).toBe(4)
  })

  it('a verifier checking many authors stays within its bound and still answers right', async () => {
    for (const verifier of [
      new NobleEd25519Verifier({ cacheSize: 2 }),
      new WebCryptoEd25519Verifier({ cacheSize: 2 }),
    ]) {
      const policy = { verifier, required: true }
      for (const seed of [1, 2, 3, 1, 2, 3]) {
        const a = testAuthor(seed)
        const [d] = (await signDrafts(a.signer, hasher, chat, [draft(a, 0, 'x')])) as EntryDraft[]
        await verifyDraft(policy, hasher, chat, d as EntryDraft)
      }
    }
  })
})
