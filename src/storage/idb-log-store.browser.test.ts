import { deleteDB, openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import { limitSpace } from '../../test/storage-space.js'
import type { Entry } from '../core/log/entry.js'
import { GENESIS_HASH } from '../core/log/entry.js'
import { sealEntries } from '../core/log/entry-chain.js'
import { loadEntryHasher } from '../core/log/entry-hasher.js'
import { channelId, peerId, type Seq } from '../core/log/ids.js'
import { defineLogStoreContract } from '../core/log/log-store.contract.js'
import type { LogStore } from '../core/log/log-store.js'
import { encodeSegment, type SegmentRecord } from '../core/log/segment-codec.js'
import { testLogWriter } from '../core/log/test-entries.js'
import { IdbLogStore } from './idb-log-store.js'
import {
  AUTHOR_MARKS_META_KEY,
  type MeshlogDbSchema,
  SCHEMA_VERSION,
  upgradeSchema,
} from './idb-schema.js'

function uniqueName(): string {
  return `meshlog-test-${crypto.randomUUID()}`
}

async function openStore(
  databaseName: string,
  options: { readonly outboxCapacity?: number; readonly recentSegmentBytes?: number } = {},
): Promise<IdbLogStore> {
  const store = new IdbLogStore({ databaseName, ...options })
  await store.open()
  return store
}

defineLogStoreContract({
  name: `IndexedDB (${server.browser})`,
  propertyRuns: 40,
  create: (options) => openStore(uniqueName(), options),
  async reopen(store) {
    const name = (store as IdbLogStore).databaseName
    await store.close()
    return openStore(name)
  },
  async corrupt(store, channel, seq) {
    const db = await openDB<MeshlogDbSchema>((store as IdbLogStore).databaseName)
    const keys = await db.getAllKeys('segments')
    const key = keys.filter(([c, first]) => c === channel && first <= seq).pop()
    if (key === undefined) throw new Error('no segment to corrupt')
    const record = (await db.get('segments', key)) as SegmentRecord
    const data = record.data.slice()
    const middle = data.byteLength >> 1
    data[middle] = (data[middle] as number) ^ 0x5a
    await db.put('segments', { ...record, data })
    db.close()
  },
  limitSpace: (_store, freeBytes) => limitSpace(freeBytes),
  async destroy(store) {
    await store.close()
    await deleteDB((store as IdbLogStore).databaseName)
  },
})

describe(`IdbLogStore in ${server.browser}`, () => {
  const CH = channelId('idb-only')
  const AUTHOR = peerId('author')

  async function appendOne(store: LogStore, w: ReturnType<typeof testLogWriter>): Promise<Entry[]> {
    const batch = w.next(1, 20)
    await store.append(CH, batch)
    return batch
  }

  /** The first seqs of the channel's segment records, as stored. */
  async function segmentFirsts(name: string): Promise<number[]> {
    const db = await openDB<MeshlogDbSchema>(name)
    const keys = await db.getAllKeys('segments')
    db.close()
    return keys.filter(([c]) => c === CH).map(([, first]) => first)
  }

  it('group-commits a thousand concurrent one-entry appends into few transactions', async () => {
    const hasher = await loadEntryHasher()
    const store = await openStore(uniqueName())
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      const singles = Array.from({ length: 1000 }, () => w.next(1, 100))
      const states = await Promise.all(singles.map((batch) => store.append(CH, batch)))
      expect(states.map((s) => s.nextSeq)).toEqual(singles.map((_, i) => i + 1))
      expect(store.metrics().transactions).toBeLessThanOrEqual(3)
      expect(store.metrics().appendsCommitted).toBe(1000)
      const back = await store.read(CH, 0 as Seq)
      expect(back.map((e) => e.authorSeq)).toEqual(singles.map((_, i) => i))
    } finally {
      await store.close()
      await deleteDB(store.databaseName)
    }
  })

  it('merges one-entry appends into few segment records', async () => {
    const hasher = await loadEntryHasher()
    const store = await openStore(uniqueName())
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      for (let i = 0; i < 600; i++) await store.append(CH, w.next(1, 20))
      const db = await openDB<MeshlogDbSchema>(store.databaseName)
      const records = await db.count('segments')
      db.close()
      // Two full segments of 256 and 88 = 64 + 16 + 8 in small ones, as a binary counter carries.
      expect(records).toBe(5)
      expect((await store.read(CH, 0 as Seq)).map((e) => e.seq)).toEqual(
        Array.from({ length: 600 }, (_, i) => i),
      )
    } finally {
      await store.close()
      await deleteDB(store.databaseName)
    }
  })

  it('does not merge a large append into a small last segment', async () => {
    const hasher = await loadEntryHasher()
    const store = await openStore(uniqueName())
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      for (let i = 0; i < 10; i++) await store.append(CH, w.next(1, 20))
      const afterSmall = store.metrics().segmentMerges
      // Appends 2, 4, 6, 8 and 10 carried: [1] [2] [2,1] [4] [4,1] [4,2] [4,2,1] [8] [8,1] [8,2].
      expect(afterSmall).toBe(5)
      // Each large append would top the small tail up and leave a small remainder to merge again.
      for (let i = 0; i < 3; i++) await store.append(CH, w.next(1000, 20))
      expect(store.metrics().segmentMerges).toBe(afterSmall)
      // Small appends after a large last segment start a new one and grow it.
      for (let i = 0; i < 2; i++) await store.append(CH, w.next(1, 20))
      expect(store.metrics().segmentMerges).toBe(afterSmall + 1)
      expect((await store.read(CH, 0 as Seq)).map((e) => e.seq)).toEqual(
        Array.from({ length: 3012 }, (_, i) => i),
      )
    } finally {
      await store.close()
      await deleteDB(store.databaseName)
    }
  })

  it('merges small segments an earlier session left, reading them back and checking them', async () => {
    const hasher = await loadEntryHasher()
    const name = uniqueName()
    let store = await openStore(name, { recentSegmentBytes: 0 })
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      const written: Entry[] = []
      for (let i = 0; i < 5; i++) written.push(...(await appendOne(store, w)))
      await store.close()
      store = await openStore(name, { recentSegmentBytes: 0 })
      // [4,1] from the last session: 1 carries into [4,2], 1 more gives [4,2,1], then [8].
      for (let i = 0; i < 3; i++) written.push(...(await appendOne(store, w)))
      expect(await segmentFirsts(name)).toEqual([0])
      expect((await store.read(CH, 0 as Seq)).map((e) => e.hash)).toEqual(
        written.map((e) => e.hash),
      )
    } finally {
      await store.close()
      await deleteDB(name)
    }
  })

  it('refuses to merge into a small last segment that does not end at the tail', async () => {
    const hasher = await loadEntryHasher()
    const name = uniqueName()
    let store = await openStore(name)
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      for (let i = 0; i < 3; i++) await appendOne(store, w)
      await store.close()
      // The last record [2] replaced by one of another chain: same seqs, other hashes.
      const other = testLogWriter(hasher, CH, peerId('other'), {
        nextSeq: 2 as Seq,
        lastHash: new Uint8Array(32).fill(7),
      })
      const db = await openDB<MeshlogDbSchema>(name)
      await db.put('segments', encodeSegment(hasher, other.next(1, 20)))
      db.close()
      store = await openStore(name)
      await expect(store.append(CH, w.next(1, 20))).rejects.toThrow(/do not chain to its tail/)
    } finally {
      await store.close()
      await deleteDB(name)
    }
  })

  it('a read racing the merges of one-entry appends retries and sees a dense log', async () => {
    const hasher = await loadEntryHasher()
    const store = await openStore(uniqueName(), { recentSegmentBytes: 0 })
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      const written: Entry[] = []
      for (let i = 0; i < 64; i++) {
        const batch = w.next(1, 20)
        written.push(...batch)
        const appended = store.append(CH, batch)
        // Start the read at another point of the commit each time: it lists the segments
        // before the merge commits and fetches them after.
        for (let hop = 0; hop < i % 8; hop++) await null
        const [, read] = await Promise.all([appended, store.read(CH, 0 as Seq)])
        const expected = written.slice(0, read.length).map((e) => e.hash)
        expect(read.length).toBeGreaterThanOrEqual(i)
        expect(read.map((e) => e.hash)).toEqual(expected)
      }
    } finally {
      await store.close()
      await deleteDB(store.databaseName)
    }
  })

  it('a sweep whose first try the browser refuses (InvalidStateError) evicts what its policy says on the retry', async () => {
    const hasher = await loadEntryHasher()
    const name = uniqueName()
    const store = await openStore(name)
    // Firefox refuses writes for a moment after a quota failure; the store retries the transaction.
    const deleteRecord = IDBObjectStore.prototype.delete
    let refusals = 0
    IDBObjectStore.prototype.delete = function (this: IDBObjectStore, query) {
      if (refusals-- > 0) throw new DOMException('did not allow mutations', 'InvalidStateError')
      return deleteRecord.call(this, query)
    }
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      for (let i = 0; i < 4; i++) await store.append(CH, w.next(5, 10))
      await store.setRetention(CH, { maxEntries: 7 })
      refusals = 1
      expect(await store.sweepRetention(CH)).toEqual({ evictedEntries: 13, evictedBytes: 130 })
      expect(refusals).toBeLessThan(0)
      expect(store.state(CH)).toMatchObject({ firstSeq: 13, nextSeq: 20, payloadBytes: 70 })
      expect(await segmentFirsts(name)).toEqual([13])
      expect((await store.read(CH, 13 as Seq)).map((e) => e.seq)).toEqual([
        13, 14, 15, 16, 17, 18, 19,
      ])
    } finally {
      IDBObjectStore.prototype.delete = deleteRecord
      await store.close()
      await deleteDB(name)
    }
  })

  it('reads what it just wrote from memory, and forgets it when a truncate rewrites the tail', async () => {
    const hasher = await loadEntryHasher()
    const store = await openStore(uniqueName())
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      const written = w.next(3000, 100)
      await store.append(CH, written)
      const back = await store.read(CH, 1000 as Seq, 2000 as Seq)
      expect(back.map((e) => e.hash)).toEqual(written.slice(1000, 2000).map((e) => e.hash))
      expect(store.metrics().recentSegmentHits).toBeGreaterThan(0)
      const shared = await store.readRun(CH, 1000 as Seq, 2000 as Seq, { shared: true })
      expect(shared.entries().map((e) => e.hash)).toEqual(back.map((e) => e.hash))
      // Another author's entries take the seqs from 1500: reads must see them, not the old ones.
      await store.truncateAfter(CH, 1499)
      const tail = store.state(CH)
      const other = testLogWriter(hasher, CH, peerId('other'), {
        nextSeq: tail.nextSeq,
        lastHash: tail.lastHash,
      }).next(500, 100)
      await store.append(CH, other)
      const after = await store.read(CH, 1400 as Seq, 2000 as Seq)
      expect(after.map((e) => e.hash)).toEqual([
        ...written.slice(1400, 1500).map((e) => e.hash),
        ...other.map((e) => e.hash),
      ])
      // A reader that writes into what it read leaves the log as it was.
      ;(after[0] as Entry).payload.fill(0)
      const again = await store.read(CH, 1400 as Seq, 1401 as Seq)
      expect(again[0]?.payload).toEqual(written[1400]?.payload)
    } finally {
      await store.close()
      await deleteDB(store.databaseName)
    }
  })

  it('reads everything from IndexedDB when told to keep nothing in memory', async () => {
    const hasher = await loadEntryHasher()
    const store = await openStore(uniqueName(), { recentSegmentBytes: 0 })
    try {
      const w = testLogWriter(hasher, CH, AUTHOR, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH })
      const written = w.next(500, 100)
      await store.append(CH, written)
      expect((await store.read(CH, 0 as Seq)).map((e) => e.hash)).toEqual(
        written.map((e) => e.hash),
      )
      expect(store.metrics().recentSegmentHits).toBe(0)
    } finally {
      await store.close()
      await deleteDB(store.databaseName)
    }
  })

  it('upgrades a version 1 database, keeping its log', async () => {
    const hasher = await loadEntryHasher()
    const name = uniqueName()
    const entries: Entry[] = testLogWriter(hasher, CH, AUTHOR, {
      nextSeq: 0 as Seq,
      lastHash: GENESIS_HASH,
    }).next(25, 10)
    const v1 = await openDB<MeshlogDbSchema>(name, 1, {
      upgrade: (db, oldVersion, _newVersion, tx) => upgradeSchema(db, oldVersion, 1, tx),
    })
    await v1.put('segments', encodeSegment(hasher, entries))
    const last = entries[entries.length - 1] as Entry
    await v1.put('channels', {
      channel: CH,
      firstSeq: 0,
      nextSeq: 25,
      lastHash: last.hash,
      anchored: true,
      payloadBytes: 250,
      retention: {},
    })
    expect([...v1.objectStoreNames].sort()).toEqual(['channels', 'outbox', 'segments'])
    v1.close()

    let store: LogStore | undefined
    try {
      store = await openStore(name)
      expect(store.state(CH)).toMatchObject({ nextSeq: 25, payloadBytes: 250 })
      expect((await store.read(CH, 0 as Seq)).map((e) => e.authorSeq)).toEqual(
        entries.map((e) => e.authorSeq),
      )
      await store.close()
      const upgraded = await openDB(name)
      expect(upgraded.version).toBe(SCHEMA_VERSION)
      expect([...upgraded.objectStoreNames].sort()).toEqual([
        'author-marks',
        'channels',
        'meta',
        'outbox',
        'segments',
      ])
      upgraded.close()
    } finally {
      await store?.close()
      await deleteDB(name)
    }
  })

  it('upgrades a version 2 database: rebuilds author marks from the stored log', async () => {
    const hasher = await loadEntryHasher()
    const name = uniqueName()
    const other = peerId('other-author')
    const entries = sealEntries(
      hasher,
      CH,
      { nextSeq: 0 as Seq, lastHash: GENESIS_HASH },
      [0, 1, 2, 3, 4].map((authorSeq) => ({
        author: authorSeq % 2 === 0 ? AUTHOR : other,
        authorSeq,
        payload: new Uint8Array([authorSeq]),
      })),
    )
    const v2 = await openDB<MeshlogDbSchema>(name, 2, {
      upgrade: (db, oldVersion, _newVersion, tx) => upgradeSchema(db, oldVersion, 2, tx),
    })
    await v2.put('segments', encodeSegment(hasher, entries))
    await v2.put('channels', {
      channel: CH,
      firstSeq: 0,
      nextSeq: 5,
      lastHash: (entries[4] as Entry).hash,
      anchored: true,
      payloadBytes: 5,
      retention: {},
    })
    await v2.put('outbox', {
      channel: CH,
      author: AUTHOR,
      authorSeq: 6,
      payload: new Uint8Array([6]),
      createdAt: 1,
    })
    expect(await v2.count('author-marks')).toBe(0)
    v2.close()

    let store: IdbLogStore | undefined
    try {
      store = await openStore(name)
      expect(store.authorMark(CH, AUTHOR)).toBe(4)
      expect(store.authorMark(CH, other)).toBe(3)
      expect((await store.outbox(CH)).map((e) => e.authorSeq)).toEqual([6])
      await store.close()
      const upgraded = await openDB<MeshlogDbSchema>(name)
      expect(upgraded.version).toBe(SCHEMA_VERSION)
      expect(await upgraded.count('author-marks')).toBe(2)
      expect(await upgraded.get('meta', AUTHOR_MARKS_META_KEY)).toBeUndefined()
      upgraded.close()
      store = await openStore(name)
      expect(store.authorMark(CH, other)).toBe(3)
    } finally {
      await store?.close()
      await deleteDB(name)
    }
  })
})
