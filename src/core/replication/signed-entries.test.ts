/**
 * Signed entries in the replication runtime: the leader signs its own
 * writes where they become drafts, and a replica verifies the author's
 * signature (besides the hash chain) before a chunk reaches its store.
 */
import { describe, expect, it } from 'vitest'
import { checkSignatures, type EntrySignaturePolicy, signDrafts } from '../crypto/entry-signing.js'
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { testAuthor } from '../crypto/test-authors.js'
import { InvalidArgumentError } from '../errors.js'
import { sealEntries } from '../log/entry-chain.js'
import { appendLocal } from './local-append.js'
import { CHANNEL, contextFor, makeKit, N20, promote } from './replication-test-kit.js'

const alice = testAuthor(11)
const policy = (): EntrySignaturePolicy => ({
  verifier: new NobleEd25519Verifier(),
  required: true,
})

describe('the leader signs its own writes', () => {
  it('appends entries that carry its signature, verifiable from its peer id alone', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, {
      self: alice.author,
      replicaSet: [alice.author, N20],
      heartbeatMs: 100,
      signer: alice.signer,
    })
    const payloads = ['a', 'b', 'c'].map((t) => new TextEncoder().encode(t))
    await appendLocal(ctx, payloads)
    const stored = await kit.store.read(CHANNEL, 0 as never)
    expect(stored).toHaveLength(3)
    for (const entry of stored) expect(entry.signature?.byteLength).toBe(64)
    await checkSignatures(policy(), kit.hasher, CHANNEL, stored)
  })

  it('leaves its writes unsigned without a signer', async () => {
    const kit = await makeKit({ tail: 0 })
    await promote(kit.coordinator, 'leader')
    const ctx = contextFor(kit, {
      self: alice.author,
      replicaSet: [alice.author],
      heartbeatMs: 100,
    })
    await appendLocal(ctx, [Uint8Array.of(1)])
    const [entry] = await kit.store.read(CHANNEL, 0 as never)
    expect(entry?.signature).toBeUndefined()
  })

  it("keeps a proposed draft's signature when it assigns the seq", async () => {
    const kit = await makeKit({ tail: 0 })
    const [draft] = await signDrafts(alice.signer, kit.hasher, CHANNEL, [
      { author: alice.author, authorSeq: 9, payload: Uint8Array.of(7) },
    ])
    const sealed = sealEntries(kit.hasher, CHANNEL, kit.store.state(CHANNEL), [draft as never])
    expect(sealed[0]?.signature).toEqual(draft?.signature)
    await checkSignatures(policy(), kit.hasher, CHANNEL, sealed)
  })

  it('refuses a signer that signs as another peer', async () => {
    const kit = await makeKit({ tail: 0 })
    expect(() =>
      contextFor(kit, { self: N20, replicaSet: [N20], heartbeatMs: 100, signer: alice.signer }),
    ).toThrow(InvalidArgumentError)
  })
})
