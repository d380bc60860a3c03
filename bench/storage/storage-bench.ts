/**
 * Storage benchmark, run in a browser page by bench/storage/run.mjs.
 * IdbLogStore (strict durability) in batches of 1024, 64 and 1 against two
 * raw-idb references measured in the same run: one record per entry, and one
 * record per batch (the bytes-on-disk limit). Entries are sealed (hashed)
 * before timing the stores; sealing is reported on its own.
 */
import { deleteDB, openDB } from 'idb'
import { type Entry, GENESIS_HASH } from '../../src/core/log/entry.js'
import { sealEntries } from '../../src/core/log/entry-chain.js'
import { loadEntryHasher } from '../../src/core/log/entry-hasher.js'
import { channelId, peerId, type Seq } from '../../src/core/log/ids.js'
import { IdbLogStore } from '../../src/storage/idb-log-store.js'

declare global {
  interface Window {
    benchResult?: Record<string, unknown>
    benchError?: string
  }
}

const params = new URLSearchParams(location.search)
const ENTRIES = Number(params.get('entries') ?? 100_000)
/** Each write figure is the median of this many runs: the machine is noisy. */
const REPEAT = Number(params.get('repeat') ?? 3)
const SINGLE_ENTRIES = Math.min(ENTRIES, 3_000)
const PAYLOAD = 100
const CH = channelId('bench')
const DB = 'meshlog-bench'
const STRICT = { durability: 'strict' } as const

function log(line: string): void {
  console.log(line)
  const pre = document.getElementById('log')
  if (pre) pre.textContent += `${line}\n`
}

function randomPayloads(count: number): Uint8Array[] {
  const all = new Uint8Array(count * PAYLOAD)
  for (let o = 0; o < all.byteLength; o += 65536) {
    crypto.getRandomValues(all.subarray(o, Math.min(all.byteLength, o + 65536)))
  }
  // Each payload gets its own buffer: a view would make IndexedDB clone the whole buffer.
  return Array.from({ length: count }, (_, i) => all.slice(i * PAYLOAD, (i + 1) * PAYLOAD))
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000)

async function median<T extends { rate: number }>(run: () => Promise<T>): Promise<T> {
  const results: T[] = []
  for (let i = 0; i < REPEAT; i++) results.push(await run())
  results.sort((a, b) => a.rate - b.rate)
  return results[results.length >> 1] as T
}

/** The floor for one-entry writes: one raw record per strict transaction. */
async function rawSingleTransactions(payloads: Uint8Array[]): Promise<{ rate: number }> {
  const name = `${DB}-raw-single`
  await deleteDB(name)
  const db = await openDB(name, 1, { upgrade: (d) => d.createObjectStore('entries') })
  const started = performance.now()
  for (const [seq, payload] of payloads.entries()) {
    const tx = db.transaction('entries', 'readwrite', STRICT)
    void tx.store.put(payload, [CH, seq])
    await tx.done
  }
  const rate = perSecond(payloads.length, performance.now() - started)
  db.close()
  await deleteDB(name)
  return { rate }
}

async function meshlogAppend(name: string, entries: Entry[], batch: number): Promise<number> {
  await deleteDB(name)
  const store = new IdbLogStore({ databaseName: name })
  await store.open()
  const started = performance.now()
  for (const chunk of batches(entries, batch)) await store.append(CH, chunk)
  const ms = performance.now() - started
  await store.close()
  return perSecond(entries.length, ms)
}

async function rawRecords(payloads: Uint8Array[]): Promise<{ rate: number; coldReadMs: number }> {
  const name = `${DB}-raw-record`
  await deleteDB(name)
  const db = await openDB(name, 1, { upgrade: (d) => d.createObjectStore('entries') })
  const started = performance.now()
  let seq = 0
  for (const chunk of batches(payloads, 1024)) {
    const tx = db.transaction('entries', 'readwrite', STRICT)
    for (const payload of chunk) void tx.store.put(payload, [CH, seq++])
    await tx.done
  }
  const rate = perSecond(payloads.length, performance.now() - started)
  db.close()
  const readStart = performance.now()
  const again = await openDB(name, 1)
  const all = await again.getAll('entries')
  const coldReadMs = performance.now() - readStart
  if (all.length !== payloads.length) throw new Error('raw record read lost entries')
  again.close()
  await deleteDB(name)
  return { rate, coldReadMs }
}

async function rawBlobs(payloads: Uint8Array[]): Promise<{ rate: number; coldReadMs: number }> {
  const name = `${DB}-raw-blob`
  await deleteDB(name)
  const db = await openDB(name, 1, { upgrade: (d) => d.createObjectStore('batches') })
  const started = performance.now()
  let first = 0
  for (const chunk of batches(payloads, 1024)) {
    const packed = new Uint8Array(chunk.length * PAYLOAD)
    for (const [i, p] of chunk.entries()) packed.set(p, i * PAYLOAD)
    const tx = db.transaction('batches', 'readwrite', STRICT)
    void tx.store.put(packed, [CH, first])
    await tx.done
    first += chunk.length
  }
  const rate = perSecond(payloads.length, performance.now() - started)
  db.close()
  const readStart = performance.now()
  const again = await openDB(name, 1)
  const all = (await again.getAll('batches')) as Uint8Array[]
  const coldReadMs = performance.now() - readStart
  if (all.reduce((n, b) => n + b.byteLength, 0) !== payloads.length * PAYLOAD) {
    throw new Error('raw blob read lost bytes')
  }
  again.close()
  await deleteDB(name)
  return { rate, coldReadMs }
}

async function run(): Promise<Record<string, unknown>> {
  const hasher = await loadEntryHasher()
  const author = peerId('bench-author')
  const payloads = randomPayloads(ENTRIES)
  const drafts = payloads.map((payload, authorSeq) => ({ author, authorSeq, payload }))
  const sealStart = performance.now()
  const entries = sealEntries(hasher, CH, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }, drafts)
  const sealRate = perSecond(ENTRIES, performance.now() - sealStart)
  log(`sealed ${ENTRIES} entries (BLAKE3 ${hasher.implementation}): ${sealRate} entries/s`)

  const raw = await median(() => rawRecords(payloads))
  log(
    `raw idb, record per entry, tx per 1024: ${raw.rate} entries/s, cold read ${raw.coldReadMs.toFixed(0)} ms`,
  )
  const blob = await median(() => rawBlobs(payloads))
  log(
    `raw idb, record per 1024 batch: ${blob.rate} entries/s, cold read ${blob.coldReadMs.toFixed(0)} ms`,
  )

  const rate1024 = (await median(async () => ({ rate: await meshlogAppend(DB, entries, 1024) })))
    .rate
  log(`IdbLogStore, batches of 1024: ${rate1024} entries/s`)
  const readStart = performance.now()
  const cold = new IdbLogStore({ databaseName: DB })
  await cold.open()
  const back = await cold.read(CH, 0 as Seq)
  const coldReadMs = performance.now() - readStart
  if (back.length !== ENTRIES) throw new Error(`cold read returned ${back.length} entries`)
  await cold.close()
  log(`IdbLogStore cold open + read of ${ENTRIES}: ${coldReadMs.toFixed(0)} ms`)

  const rate64 = (
    await median(async () => ({ rate: await meshlogAppend(`${DB}-64`, entries, 64) }))
  ).rate
  log(`IdbLogStore, batches of 64: ${rate64} entries/s`)
  const rate1 = await meshlogAppend(`${DB}-1`, entries.slice(0, SINGLE_ENTRIES), 1)
  log(
    `IdbLogStore, one entry per append, awaited in turn (${SINGLE_ENTRIES} entries): ${rate1} entries/s`,
  )
  const single = await rawSingleTransactions(payloads.slice(0, SINGLE_ENTRIES))
  log(
    `raw idb, one record per strict transaction (${SINGLE_ENTRIES} entries): ${single.rate} entries/s`,
  )

  await deleteDB(`${DB}-group`)
  const group = new IdbLogStore({ databaseName: `${DB}-group` })
  await group.open()
  const groupEntries = entries.slice(0, Math.min(ENTRIES, 10_000))
  const groupStart = performance.now()
  for (const round of batches(groupEntries, 1000)) {
    await Promise.all(round.map((entry) => group.append(CH, [entry])))
  }
  const groupRate = perSecond(groupEntries.length, performance.now() - groupStart)
  const groupTx = group.metrics().transactions
  await group.close()
  log(
    `IdbLogStore, 1000 concurrent one-entry appends × ${groupEntries.length / 1000}: ${groupRate} entries/s in ${groupTx} transactions`,
  )

  for (const name of [DB, `${DB}-64`, `${DB}-1`, `${DB}-group`]) await deleteDB(name)
  return {
    entries: ENTRIES,
    repeat: REPEAT,
    payload_bytes: PAYLOAD,
    meshlog_entries_per_s: rate1024,
    meshlog_entries_per_s_batch64: rate64,
    meshlog_entries_per_s_batch1: rate1,
    raw_record_entries_per_s: raw.rate,
    raw_single_tx_entries_per_s: single.rate,
    raw_blob_entries_per_s: blob.rate,
    ratio: Number((rate1024 / blob.rate).toFixed(3)),
    cold_read_ms: Math.round(coldReadMs),
    raw_blob_cold_read_ms: Math.round(blob.coldReadMs),
    raw_record_cold_read_ms: Math.round(raw.coldReadMs),
    group_commit_entries_per_s: groupRate,
    group_commit_transactions: groupTx,
    seal_entries_per_s: sealRate,
    hasher: hasher.implementation,
    user_agent: navigator.userAgent,
  }
}

run().then(
  (result) => {
    window.benchResult = result
  },
  (error: unknown) => {
    window.benchError = String((error as Error).stack ?? error)
  },
)
