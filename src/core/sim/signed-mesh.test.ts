/**
 * Invariant 5 for signed entries, in a simulated mesh: three signing peers
 * over SimNetwork (noble Ed25519, so the run is deterministic). A leader
 * that fabricates writes in another member's name — perfectly hashed and
 * chained onto its log — gets none of them into a replica's log, however
 * often the replicas ask; and a man in the middle who alters payloads in
 * flight (re-hashing and re-chaining them, so only the signature is
 * wrong) gets nothing in either. Every rejection is counted.
 */
import { describe, expect, it } from 'vitest'
import { checkSignatures, type EntrySignaturePolicy, signDrafts } from '../crypto/entry-signing.js'
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { type TestAuthor, testAuthor } from '../crypto/test-authors.js'
import type { Entry } from '../log/entry.js'
import { sealEntries } from '../log/entry-chain.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, type PeerId, type Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { PeerNode } from '../node/peer-node.js'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import { decodeFrame, encodeFrame } from '../wire/frame-codec.js'
import { SimNetwork } from './sim-network.js'

const SEED = Number(process.env.SEED ?? 7_311)
const CH = channelId('signed-sim')
const AUTHORS = [testAuthor(51), testAuthor(52), testAuthor(53)]

type Interceptor = (from: PeerId, to: PeerId, bytes: Uint8Array) => Uint8Array

async function signedMesh(hasher: EntryHasher, intercept?: Interceptor, chunkMax?: number) {
  const clock = new ManualClock({ start: 1000 })
  const net = new SimNetwork({ clock, rng: seededRng(SEED), minLatencyMs: 1, maxLatencyMs: 4 })
  const nodes = new Map<PeerId, PeerNode>()
  const stores = new Map<PeerId, MemoryLogStore>()
  const replicaSet = AUTHORS.map((a) => a.author)
  for (const [i, me] of AUTHORS.entries()) {
    const store = new MemoryLogStore({ hasher })
    await store.open()
    const signatures: EntrySignaturePolicy = {
      verifier: new NobleEd25519Verifier(),
      required: true,
    }
    const node = new PeerNode({
      self: me.author,
      store,
      hasher,
      clock,
      rng: seededRng(SEED + i),
      heartbeatMs: 100,
      signer: me.signer,
      signatures,
      sink: {
        send(to, frame) {
          net.send(me.author, to, intercept?.(me.author, to, frame) ?? frame)
          return 'queued'
        },
      },
    })
    net.attach(me.author, (from, bytes) => node.receive(from, bytes))
    nodes.set(me.author, node)
    stores.set(me.author, store)
  }
  for (const node of nodes.values()) {
    await node.open(CH, { replicaSet, ...(chunkMax === undefined ? {} : { chunkMax }) })
  }
  const run = async (ms: number) => {
    for (let t = 0; t < ms; t += 25) await clock.advanceAsync(25)
  }
  const leader = () => [...nodes.values()].find((n) => n.runtime(CH)?.role === 'leader')
  await run(3_000)
  const lead = leader()
  if (lead === undefined) throw new Error(`seed ${SEED}: no leader elected`)
  const replicas = [...nodes.values()].filter((n) => n !== lead)
  const metric = (node: PeerNode, name: 'forgedEntriesTotal' | 'hashMismatchesTotal') =>
    node.runtime(CH)?.metrics()[name] ?? 0
  return { nodes, stores, run, lead, replicas, metric }
}

async function forgedInNameOf(
  hasher: EntryHasher,
  victim: TestAuthor,
  forger: TestAuthor,
  tail: { nextSeq: Seq; lastHash: Uint8Array },
  count: number,
): Promise<Entry[]> {
  const drafts = Array.from({ length: count }, (_, i) => ({
    author: forger.author,
    authorSeq: 1_000 + i,
    payload: Uint8Array.of(0xf0, i),
  }))
  const signed = await signDrafts(forger.signer, hasher, CH, drafts)
  return sealEntries(
    hasher,
    CH,
    tail,
    signed.map((d) => ({ ...d, author: victim.author })),
  )
}

describe(`signed entries in a simulated mesh (SEED=${SEED})`, () => {
  it('writes signed in groups by every member replicate in chunks that cut their groups, and each verifies alone', async () => {
    const hasher = await loadEntryHasher()
    // Chunks of ~100 payload bytes: a few writes each, so most cut a group of 32.
    const mesh = await signedMesh(hasher, undefined, 100)
    const written = new Map<PeerId, number>()
    for (const [i, node] of [...mesh.nodes.values()].entries()) {
      const count = 30 + 7 * i
      written.set(node.self, count)
      // The replicas' writes go to the leader as proposals, grouped as they were signed.
      await node.append(
        CH,
        Array.from({ length: count }, (_, k) => Uint8Array.of(i, k, 0xaa, 0xbb, 0xcc, 0xdd)),
      )
    }
    await mesh.run(5_000)
    const total = [...written.values()].reduce((a, b) => a + b, 0)
    const logs = await Promise.all(
      [...mesh.stores.values()].map((store) => store.read(CH, 0 as Seq)),
    )
    for (const log of logs) {
      expect(log.map((e) => e.hash.join())).toEqual(logs[0]?.map((e) => e.hash.join()))
    }
    const log = logs[0] as Entry[]
    expect(log).toHaveLength(total)
    expect(log.filter((e) => e.groupProof !== undefined).length).toBeGreaterThan(total / 2)
    const policy = { verifier: new NobleEd25519Verifier(), required: true }
    for (const entry of log) await checkSignatures(policy, hasher, CH, [entry])
    for (const n of mesh.nodes.values()) {
      expect(mesh.metric(n, 'forgedEntriesTotal')).toBe(0)
      await n.stop()
    }
  })

  it('a leader forging a member’s writes gets none into any replica, and is counted every time', async () => {
    const hasher = await loadEntryHasher()
    const mesh = await signedMesh(hasher)
    await mesh.lead.append(CH, [Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)])
    await mesh.run(1_000)
    for (const r of mesh.replicas) expect(mesh.stores.get(r.self)?.state(CH).nextSeq).toBe(3)

    // The leader writes three entries in a replica's name, signed with its own key.
    const leaderAuthor = AUTHORS.find((a) => a.author === mesh.lead.self) as TestAuthor
    const victim = AUTHORS.find((a) => a.author === mesh.replicas[0]?.self) as TestAuthor
    const store = mesh.stores.get(mesh.lead.self) as MemoryLogStore
    const forged = await forgedInNameOf(hasher, victim, leaderAuthor, store.state(CH), 3)
    await store.append(CH, forged)
    await mesh.run(2_000)

    const forgedHashes = new Set(forged.map((e) => e.hash.join()))
    for (const r of mesh.replicas) {
      const log = await (mesh.stores.get(r.self) as MemoryLogStore).read(CH, 0 as Seq)
      expect(log).toHaveLength(3)
      expect(log.some((e) => forgedHashes.has(e.hash.join()))).toBe(false)
      // Asked again and again (one request per heartbeat or so), refused every time.
      expect(mesh.metric(r, 'forgedEntriesTotal')).toBeGreaterThan(2)
    }
    for (const n of mesh.nodes.values()) await n.stop()
  })

  it('payloads altered in flight are caught by the hash check, or by the signature when re-hashed', async () => {
    const hasher = await loadEntryHasher()
    let mode: 'off' | 'tamper' | 'reseal' = 'off'
    let altered = 0
    const intercept: Interceptor = (_from, _to, bytes) => {
      if (mode === 'off') return bytes
      const frame = decodeFrame(bytes.slice())
      if (frame.kind !== 'sync-response' || frame.message.entries.length === 0) return bytes
      altered++
      const entries = frame.message.entries.map((e) => ({
        ...e,
        payload: Uint8Array.of(...e.payload, 0x66),
      }))
      const first = entries[0] as Entry
      const sent =
        mode === 'tamper'
          ? entries
          : sealEntries(hasher, CH, { nextSeq: first.seq, lastHash: first.prevHash }, entries)
      return encodeFrame({ kind: 'sync-response', message: { ...frame.message, entries: sent } })
    }
    const mesh = await signedMesh(hasher, intercept)
    for (const m of ['tamper', 'reseal'] as const) {
      mode = m
      await mesh.lead.append(CH, [Uint8Array.of(9)])
      await mesh.run(1_000)
      for (const r of mesh.replicas) {
        expect(mesh.stores.get(r.self)?.state(CH).nextSeq).toBe(m === 'tamper' ? 0 : 1)
      }
      mode = 'off'
      await mesh.run(1_000)
      for (const r of mesh.replicas) {
        expect(mesh.stores.get(r.self)?.state(CH).nextSeq).toBe(m === 'tamper' ? 1 : 2)
      }
    }
    expect(altered).toBeGreaterThan(0)
    for (const r of mesh.replicas) {
      expect(mesh.metric(r, 'hashMismatchesTotal')).toBeGreaterThan(0)
      expect(mesh.metric(r, 'forgedEntriesTotal')).toBeGreaterThan(0)
      const log = await (mesh.stores.get(r.self) as MemoryLogStore).read(CH, 0 as Seq)
      expect(log.map((e) => [...e.payload])).toEqual([[9], [9]])
    }
    for (const n of mesh.nodes.values()) await n.stop()
  })
})
