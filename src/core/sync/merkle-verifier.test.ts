import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { computeEntryHash } from '../log/entry-chain.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { type ChannelId, channelId, peerId, type Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { testLogWriter } from '../log/test-entries.js'
import { ChannelMerkleIndex } from './channel-merkle-index.js'
import { MerkleLog } from './merkle-log.js'
import { MerkleVerifier } from './merkle-verifier.js'

const CH: ChannelId = channelId('verify-chan')
let hasher: EntryHasher
beforeAll(async () => {
  hasher = await loadEntryHasher()
})

/** `count` chained entries of one channel, written by `author` from genesis. */
function chain(count: number, author = 'author-a', channel = CH): Entry[] {
  const writer = testLogWriter(hasher, channel, peerId(author), {
    nextSeq: 0 as Seq,
    lastHash: GENESIS_HASH,
  })
  return writer.next(count)
}

async function localLog(entries: readonly Entry[], options: { maxChannels?: number } = {}) {
  const store = new MemoryLogStore({ hasher })
  await store.open()
  if (entries.length > 0) await store.append(CH, entries)
  const index = new ChannelMerkleIndex({ store, hasher, readBatch: 16, ...options })
  return { store, index, verifier: new MerkleVerifier(index) }
}

const treeOf = (entries: readonly Entry[]) =>
  new MerkleLog(
    hasher,
    entries.map((e) => e.hash),
  )

function reseal(entry: Entry, payload: Uint8Array): Entry {
  const changed = { ...entry, payload }
  return { ...changed, hash: computeEntryHash(hasher, changed) }
}

describe('the channel Merkle index follows its store', () => {
  it('catches up incrementally, follows truncation and rebuilds a replaced suffix', async () => {
    const entries = chain(50)
    const { store, index } = await localLog(entries.slice(0, 20))
    expect(await index.head(CH)).toEqual(treeOf(entries.slice(0, 20)).head())
    await store.append(CH, entries.slice(20, 50))
    expect(await index.head(CH)).toEqual(treeOf(entries).head())
    await store.truncateAfter(CH, 29)
    expect(await index.head(CH)).toEqual(treeOf(entries.slice(0, 30)).head())
    // Same length, different suffix: the tail check notices and rebuilds.
    const other = chain(30, 'author-b')
    await store.truncateAfter(CH, -1)
    await store.append(CH, other)
    expect(await index.head(CH)).toEqual(treeOf(other).head())
    expect(index.stats().rebuilds).toBe(1)
  })

  it('keeps leaves of entries retention evicted; has no tree for a log that skipped ahead', async () => {
    const entries = chain(40)
    const { store, index } = await localLog(entries)
    await index.head(CH)
    await store.setRetention(CH, { maxEntries: 10 })
    await store.sweepRetention(CH)
    expect(await index.head(CH)).toEqual(treeOf(entries).head())
    const fresh = await localLog([])
    await fresh.store.skipTo(CH, 5 as Seq)
    expect(await fresh.index.head(CH)).toBeUndefined()
  })

  it('concurrent requests append each entry once; the cap evicts the least recently used', async () => {
    const entries = chain(100)
    const { index } = await localLog(entries, { maxChannels: 1 })
    const [a, b] = await Promise.all([index.head(CH), index.head(CH)])
    expect(a).toEqual(treeOf(entries).head())
    expect(b).toEqual(a)
    await index.head(channelId('empty-chan'))
    expect(index.stats()).toMatchObject({ channels: 1, evictions: 1 })
  })

  it('extend takes just-appended entries without reading them back; others are left to catch-up', async () => {
    const entries = chain(60)
    const { store, index } = await localLog(entries.slice(0, 20))
    await index.head(CH)
    let reads = 0
    const read = store.read.bind(store)
    store.read = (...args) => {
      reads++
      return read(...args)
    }
    await store.append(CH, entries.slice(20, 40))
    await index.extend(CH, entries.slice(20, 40))
    expect(await index.head(CH)).toEqual(treeOf(entries.slice(0, 40)).head())
    expect(reads).toBe(0)
    // Not a continuation of the tree: ignored, and the store is read as usual.
    await store.append(CH, entries.slice(40, 60))
    await index.extend(CH, entries.slice(45, 60))
    expect(await index.head(CH)).toEqual(treeOf(entries).head())
    expect(reads).toBeGreaterThan(0)
  })
})

describe('verifying entries against a claimed root', () => {
  it('a catch-up batch that ends at the claimed head needs no proof', async () => {
    const remote = chain(30)
    const { verifier } = await localLog(remote.slice(0, 12))
    const result = await verifier.verifyIncomingEntries(CH, remote.slice(12), treeOf(remote).head())
    expect(result.verified).toHaveLength(18)
    expect(result.rejected).toEqual([])
    expect(result.localHead).toEqual(treeOf(remote.slice(0, 12)).head())
  })

  it('a chunk in front of the claimed head verifies with a range proof, not without', async () => {
    const remote = chain(64)
    const { verifier } = await localLog(remote.slice(0, 10))
    const tree = treeOf(remote)
    const chunk = remote.slice(8, 24)
    const proven = await verifier.verifyIncomingEntries(
      CH,
      chunk,
      tree.head(),
      tree.rangeProof(8, 24),
    )
    expect(proven.verified.map((e) => e.seq)).toEqual(chunk.map((e) => e.seq))
    const unproven = await verifier.verifyIncomingEntries(CH, chunk, tree.head())
    expect(new Set(unproven.rejected.map((r) => r.reason))).toEqual(new Set(['proof-required']))
  })

  it('entries past a gap, from another channel, or at a diverged seq are rejected', async () => {
    const remote = chain(40)
    const { verifier } = await localLog(remote.slice(0, 10))
    const tree = treeOf(remote)
    const gap = await verifier.verifyIncomingEntries(
      CH,
      remote.slice(15, 20),
      tree.head(),
      tree.rangeProof(15, 20),
    )
    expect(gap.rejected.map((r) => r.reason)).toEqual([
      'seq-gap',
      'follows-rejected',
      'follows-rejected',
      'follows-rejected',
      'follows-rejected',
    ])
    const fork = chain(40, 'author-b')
    const forkTree = treeOf(fork)
    const diverged = await verifier.verifyIncomingEntries(
      CH,
      fork.slice(5, 15),
      forkTree.head(),
      forkTree.rangeProof(5, 15),
    )
    expect(diverged.verified).toEqual([])
    expect(diverged.rejected[0]?.reason).toBe('chain-broken')
    const elsewhere = chain(12, 'author-a', channelId('other-chan'))
    const wrong = await verifier.verifyIncomingEntries(
      CH,
      elsewhere.slice(10),
      treeOf(elsewhere).head(),
      treeOf(elsewhere).rangeProof(10, 12),
    )
    expect(wrong.rejected[0]?.reason).toBe('wrong-channel')
  })

  it('any tampered entry is caught, and only what precedes it is accepted', async () => {
    const remote = chain(48)
    const { verifier } = await localLog(remote.slice(0, 16))
    const tree = treeOf(remote)
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 31 }),
        fc.boolean(),
        fc.nat(),
        async (at, resealHash, byte) => {
          const batch = remote.slice(16).slice()
          const victim = batch[at] as Entry
          const payload = victim.payload.slice()
          payload[byte % payload.length] = (payload[byte % payload.length] ?? 0) ^ 0xff
          batch[at] = resealHash ? reseal(victim, payload) : { ...victim, payload }
          const result = await verifier.verifyIncomingEntries(CH, batch, tree.head())
          if (resealHash) {
            // A consistent forgery changes the leaf: the claimed root no longer matches.
            expect(result.verified).toEqual([])
            expect(result.rejected.every((r) => r.reason === 'root-mismatch')).toBe(true)
          } else {
            expect(result.verified).toEqual(remote.slice(16, 16 + at))
            expect(result.rejected[0]?.reason).toBe('hash-mismatch')
            expect(result.rejected).toHaveLength(32 - at)
          }
        },
      ),
      { numRuns: 60 },
    )
    expect(verifier.stats().totalRejected).toBeGreaterThan(0)
  })
})

describe('comparing heads', () => {
  it('tells in-sync, behind, diverged and ahead apart', async () => {
    const entries = chain(20)
    const { verifier } = await localLog(entries)
    expect(await verifier.compareHeads(CH, treeOf(entries).head())).toEqual({ status: 'in-sync' })
    expect((await verifier.compareHeads(CH, treeOf(entries.slice(0, 5)).head())).status).toBe(
      'remote-behind',
    )
    expect((await verifier.compareHeads(CH, treeOf(chain(5, 'author-b')).head())).status).toBe(
      'diverged',
    )
    expect((await verifier.compareHeads(CH, treeOf(chain(25)).head())).status).toBe('remote-ahead')
    expect(verifier.stats()).toMatchObject({ rootComparisons: 4, rootMatches: 1 })
  })
})
