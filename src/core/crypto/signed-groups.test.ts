import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../errors.js'
import type { EntryDraft } from '../log/entry.js'
import { groupProofDepthAt as proofDepth } from '../log/entry.js'
import { createJsHasher, type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { channelId } from '../log/ids.js'
import {
  checkSignatures,
  DEFAULT_GROUP_SIZE,
  type EntrySignaturePolicy,
  entrySigningMessage,
  findForgery,
  type SignatureVerifier,
  type SignedMessage,
  signDrafts,
} from './entry-signing.js'
import { NobleEd25519Verifier } from './noble-ed25519.js'
import { buildGroup, MAX_GROUP_SIZE, readProof, rootOf } from './signed-groups.js'
import { testAuthor } from './test-authors.js'

const chat = channelId('chat')
let hasher: EntryHasher
beforeAll(async () => {
  hasher = await loadEntryHasher()
})

function leaves(count: number, salt = 0): Uint8Array[] {
  return Array.from({ length: count }, (_, i) => hasher.digest(Uint8Array.of(1, salt, i)))
}

/** A verifier that counts the Ed25519 checks it is asked for. */
class CountingVerifier implements SignatureVerifier {
  readonly #inner = new NobleEd25519Verifier()
  calls = 0
  verify(items: readonly SignedMessage[]): Promise<boolean[]> {
    this.calls += items.length
    return this.#inner.verify(items)
  }
}

function policy(verifier: SignatureVerifier = new NobleEd25519Verifier()): EntrySignaturePolicy {
  return { verifier, required: true }
}

function drafts(seed: number, count: number, from = 0): EntryDraft[] {
  const { author } = testAuthor(seed)
  return Array.from({ length: count }, (_, i) => ({
    author,
    authorSeq: from + i,
    payload: new TextEncoder().encode(`write ${from + i}`),
  }))
}

describe('the Merkle tree of a group', () => {
  it('every leaf reaches the root through its proof, for every size', () => {
    for (let size = 2; size <= 40; size++) {
      const group = buildGroup(hasher, leaves(size))
      for (const [index, proof] of group.proofs.entries()) {
        expect(readProof(proof)).toEqual({ index, size })
        expect(proof.byteLength).toBe(2 + 32 * proofDepth(index, size))
        expect(rootOf(hasher, leaves(size)[index] as Uint8Array, proof)).toEqual(group.root)
      }
    }
  })

  it('is as deep as a balanced tree at most, 8 levels at the largest group', () => {
    expect(proofDepth(0, MAX_GROUP_SIZE)).toBe(8)
    expect(proofDepth(MAX_GROUP_SIZE - 1, MAX_GROUP_SIZE)).toBe(8)
    expect(proofDepth(4, 5)).toBe(1)
    expect(() => buildGroup(hasher, leaves(MAX_GROUP_SIZE + 1))).toThrow(RangeError)
    expect(() => buildGroup(hasher, leaves(1))).toThrow(RangeError)
  })

  it('a changed leaf, sibling, index or size no longer reaches the root', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 64 }), fc.nat(), fc.nat(), (size, at, bit) => {
        const all = leaves(size)
        const group = buildGroup(hasher, all)
        const index = at % size
        const proof = group.proofs[index] as Uint8Array
        const leaf = all[index] as Uint8Array
        const otherLeaf = leaf.slice()
        otherLeaf[bit % 32] = (otherLeaf[bit % 32] as number) ^ 1
        expect(rootOf(hasher, otherLeaf, proof)).not.toEqual(group.root)
        const otherSibling = proof.slice()
        const sibling = 2 + (bit % (proof.byteLength - 2))
        otherSibling[sibling] = (otherSibling[sibling] as number) ^ 1
        expect(rootOf(hasher, leaf, otherSibling)).not.toEqual(group.root)
        const moved = proof.slice()
        moved[0] = (index + 1) % size
        const root = rootOf(hasher, leaf, moved)
        if (root !== undefined) expect(root).not.toEqual(group.root)
      }),
      { seed: 7, numRuns: 200 },
    )
  })

  it('refuses proofs whose length, index or size cannot be', () => {
    const group = buildGroup(hasher, leaves(5))
    const proof = group.proofs[0] as Uint8Array
    expect(readProof(proof.subarray(0, proof.byteLength - 1))).toBeUndefined()
    expect(readProof(Uint8Array.of(5, 4))).toBeUndefined()
    expect(readProof(Uint8Array.of(0, 0))).toBeUndefined()
    expect(readProof(new Uint8Array(1))).toBeUndefined()
    expect(rootOf(hasher, new Uint8Array(32), Uint8Array.of(9, 4))).toBeUndefined()
  })

  it('is the same with the WebAssembly and the JS hasher', () => {
    expect(buildGroup(createJsHasher(), leaves(11))).toEqual(buildGroup(hasher, leaves(11)))
  })
})

describe('signing in groups', () => {
  it('signs consecutive drafts in groups of DEFAULT_GROUP_SIZE, one signature each', async () => {
    const signed = await signDrafts(testAuthor(1).signer, hasher, chat, drafts(1, 70))
    const signatures = new Set(signed.map((d) => d.signature?.join()))
    expect(signatures.size).toBe(Math.ceil(70 / DEFAULT_GROUP_SIZE))
    expect(signed.map((d) => readProof(d.groupProof as Uint8Array)?.size)).toEqual([
      ...Array<number>(64).fill(32),
      ...Array<number>(6).fill(6),
    ])
  })

  it('a write alone in its group is signed as v1, without a proof', async () => {
    const a = testAuthor(1)
    const [lone] = await signDrafts(a.signer, hasher, chat, drafts(1, 1))
    expect(lone?.groupProof).toBeUndefined()
    const [byV1] = await a.signer.sign([
      entrySigningMessage(hasher, chat, drafts(1, 1)[0] as EntryDraft),
    ])
    expect(lone?.signature).toEqual(byV1)
    const ones = await signDrafts(a.signer, hasher, chat, drafts(1, 3), { groupSize: 1 })
    expect(ones.every((d) => d.groupProof === undefined)).toBe(true)
    await checkSignatures(policy(), hasher, chat, ones)
  })

  it('refuses a group size outside 1 to 256', async () => {
    for (const groupSize of [0, 257, 1.5]) {
      await expect(
        signDrafts(testAuthor(1).signer, hasher, chat, drafts(1, 2), { groupSize }),
      ).rejects.toBeInstanceOf(InvalidArgumentError)
    }
  })
})

describe('verifying groups', () => {
  it('checks a whole group with one Ed25519 call', async () => {
    const signed = await signDrafts(testAuthor(1).signer, hasher, chat, drafts(1, 70))
    const verifier = new CountingVerifier()
    await checkSignatures(policy(verifier), hasher, chat, signed)
    expect(verifier.calls).toBe(3)
  })

  it('checks every write of a group cut anywhere, alone or in pieces', async () => {
    const signed = await signDrafts(testAuthor(2).signer, hasher, chat, drafts(2, 20), {
      groupSize: 8,
    })
    for (const [from, to] of [
      [0, 1],
      [3, 4],
      [5, 13],
      [7, 20],
      [19, 20],
    ] as const) {
      await checkSignatures(policy(), hasher, chat, signed.slice(from, to))
    }
  })

  it('names a changed payload in a group, whole or cut', async () => {
    const signed = await signDrafts(testAuthor(3).signer, hasher, chat, drafts(3, 12), {
      groupSize: 4,
    })
    signed[6] = { ...(signed[6] as EntryDraft), payload: Uint8Array.of(9) }
    const named = { index: 6, end: 7, reason: 'bad-signature' }
    expect(await findForgery(policy(), hasher, chat, signed)).toEqual(named)
    expect(await findForgery(policy(), hasher, chat, signed.slice(5))).toEqual({
      ...named,
      index: 1,
      end: 2,
    })
  })

  it('fails a whole group as one when its signature does not hold', async () => {
    const signed = await signDrafts(testAuthor(3).signer, hasher, chat, drafts(3, 12), {
      groupSize: 4,
    })
    const other = new Uint8Array(64).fill(7)
    for (let i = 4; i < 8; i++) signed[i] = { ...(signed[i] as EntryDraft), signature: other }
    expect(await findForgery(policy(), hasher, chat, signed)).toEqual({
      index: 4,
      end: 8,
      reason: 'bad-signature',
    })
  })

  it('refuses a proof taken from another group, or another write of the same group', async () => {
    const signed = await signDrafts(testAuthor(4).signer, hasher, chat, drafts(4, 8), {
      groupSize: 4,
    })
    const swapped = [
      { ...(signed[1] as EntryDraft), groupProof: signed[5]?.groupProof as Uint8Array },
      { ...(signed[1] as EntryDraft), groupProof: signed[2]?.groupProof as Uint8Array },
      { ...(signed[1] as EntryDraft), signature: signed[5]?.signature as Uint8Array },
    ]
    for (const forged of swapped) {
      await expect(checkSignatures(policy(), hasher, chat, [forged])).rejects.toMatchObject({
        details: { reason: 'bad-signature' },
      })
    }
  })

  it('refuses a group whose proofs do not match its writes even when its root does', async () => {
    const signed = await signDrafts(testAuthor(5).signer, hasher, chat, drafts(5, 4))
    const garbled = (signed[3] as EntryDraft).groupProof?.slice() as Uint8Array
    garbled[2] = (garbled[2] as number) ^ 1
    signed[3] = { ...(signed[3] as EntryDraft), groupProof: garbled }
    expect(await findForgery(policy(), hasher, chat, signed)).toMatchObject({
      index: 3,
      reason: 'bad-signature',
    })
  })

  it('refuses a malformed proof, and a proof without a signature', async () => {
    const [one, two] = await signDrafts(testAuthor(6).signer, hasher, chat, drafts(6, 2))
    const shortProof = { ...(one as EntryDraft), groupProof: Uint8Array.of(0, 1) }
    const unsigned = { ...(two as EntryDraft), signature: undefined }
    expect(await findForgery(policy(), hasher, chat, [shortProof])).toMatchObject({
      reason: 'malformed-proof',
    })
    const { signature: _dropped, ...proofOnly } = unsigned
    expect(await findForgery(policy(), hasher, chat, [proofOnly])).toMatchObject({
      reason: 'malformed-signature',
    })
  })

  it('refuses a group signature passed off as a v1 one (the proof left out)', async () => {
    const [first] = await signDrafts(testAuthor(7).signer, hasher, chat, drafts(7, 2))
    const { groupProof: _dropped, ...bare } = first as EntryDraft
    expect(await findForgery(policy(), hasher, chat, [bare])).toMatchObject({
      reason: 'bad-signature',
    })
  })
})
