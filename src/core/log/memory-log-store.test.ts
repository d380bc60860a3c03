import { loadEntryHasher } from './entry-hasher.js'
import { defineLogStoreContract } from './log-store.contract.js'
import { MemoryLogStore } from './memory-log-store.js'

defineLogStoreContract({
  name: 'memory (node)',
  async create() {
    const store = new MemoryLogStore({ hasher: await loadEntryHasher() })
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
