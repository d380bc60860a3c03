import { describe, expect, it } from 'vitest'
import { GENESIS_HASH } from './entry.js'
import { loadEntryHasher } from './entry-hasher.js'
import { channelId, peerId, type Seq } from './ids.js'
import { defineLogStoreContract } from './log-store.contract.js'
import { MemoryLogStore } from './memory-log-store.js'
import { testLogWriter } from './test-entries.js'

defineLogStoreContract({
  name: 'memory (node)',
  async create(options = {}) {
    const store = new MemoryLogStore({ hasher: await loadEntryHasher(), ...options })
    await store.open()
    return store
  },
  async reopen(store) {
    const old = store as MemoryLogStore
    await old.close()
    const next = new MemoryLogStore({ hasher: await loadEntryHasher(), backing: old.backing })
    await next.open()
    return next
  },
  async corrupt(store, channel, seq) {
    const log = (store as MemoryLogStore).backing.channels.get(channel)
    const entry = log?.entries[seq - (log?.state.firstSeq ?? 0)]
    if (entry === undefined || entry.payload.byteLength === 0) throw new Error('nothing to corrupt')
    entry.payload[0] = (entry.payload[0] ?? 0) ^ 0xff
  },
  async limitSpace(store, freeBytes) {
    const memory = store as MemoryLogStore
    memory.setQuotaBytes(memory.backing.payloadBytes() + freeBytes)
    return async () => memory.setQuotaBytes(Number.POSITIVE_INFINITY)
  },
  async destroy(store) {
    await store.close()
  },
})

// Found by npm run bench:sim (20 peers, 150 channels each): every append
// summed the payload bytes of every channel on the backing, for a quota
// check that was infinite; appends cost O(channels) per peer.
describe('MemoryLogStore quota check', () => {
  it('sums the backing only when a quota is set', async () => {
    const hasher = await loadEntryHasher()
    const store = new MemoryLogStore()
    await store.open()
    let sums = 0
    const sum = store.backing.payloadBytes.bind(store.backing)
    store.backing.payloadBytes = () => {
      sums += 1
      return sum()
    }
    const channel = channelId('quota')
    const writer = testLogWriter(hasher, channel, peerId('a'), {
      nextSeq: 0 as Seq,
      lastHash: GENESIS_HASH,
    })
    await store.append(channel, writer.next(2))
    expect(sums).toBe(0)
    store.setQuotaBytes(1_000_000)
    await store.append(channel, writer.next(2))
    expect(sums).toBe(1)
    store.setQuotaBytes(1)
    await expect(store.append(channel, writer.next(1))).rejects.toMatchObject({
      code: 'ERR_STORAGE_FULL',
    })
  })
})
