/**
 * A cluster of SyncNodes for tests: MemoryLogStores, one ManualClock, one
 * seeded SimNetwork, and a sink per peer that can refuse or drop chosen
 * frames (a missing link, a frame lost on the way). `until` advances the
 * clock until a promise settles, so a test reads like the protocol runs.
 */
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { type TestLogWriter, testLogWriter } from '../log/test-entries.js'
import { seededRng } from '../random/rng.js'
import { SimNetwork } from '../sim/sim-network.js'
import { ManualClock } from '../time/manual-clock.js'
import { decodeFrame, type WireFrame } from '../wire/frame-codec.js'
import { SyncNode, type SyncNodeOptions } from './sync-node.js'

export interface SyncClusterOptions {
  readonly peers: readonly PeerId[]
  readonly seed?: number
  readonly heartbeatMs?: number
  readonly options?: (peer: PeerId) => Partial<SyncNodeOptions>
}

export type FrameFilter = (to: PeerId, frame: WireFrame) => boolean

export interface SyncCluster {
  readonly clock: ManualClock
  readonly net: SimNetwork
  readonly hasher: EntryHasher
  readonly nodes: ReadonlyMap<PeerId, SyncNode>
  node(peer: PeerId): SyncNode
  store(peer: PeerId): MemoryLogStore
  /** The transport of `from` refuses every frame to `to` with `no-link` (until `restoreLink`). */
  cutLink(from: PeerId, to: PeerId): void
  restoreLink(from: PeerId, to: PeerId): void
  /** Frames `from` sends that `filter` matches vanish on the way (the sink still says queued). */
  dropFrom(from: PeerId, filter: FrameFilter | undefined): void
  /** Advances the clock in small steps until `promise` settles (or `maxMs` passes), then returns it. */
  until<T>(promise: Promise<T>, maxMs?: number): Promise<T>
  stop(): Promise<void>
}

export async function syncCluster(options: SyncClusterOptions): Promise<SyncCluster> {
  const clock = new ManualClock({ start: 1_000 })
  const seed = options.seed ?? 7
  const net = new SimNetwork({ clock, rng: seededRng(seed), minLatencyMs: 1, maxLatencyMs: 3 })
  const hasher = await loadEntryHasher()
  const nodes = new Map<PeerId, SyncNode>()
  const stores = new Map<PeerId, MemoryLogStore>()
  const cut = new Set<string>()
  const drops = new Map<PeerId, FrameFilter>()
  for (const [i, self] of options.peers.entries()) {
    const store = new MemoryLogStore({ hasher })
    await store.open()
    stores.set(self, store)
    const node = new SyncNode({
      self,
      store,
      hasher,
      clock,
      rng: seededRng(seed * 1_000 + i),
      heartbeatMs: options.heartbeatMs ?? 100,
      sink: {
        send(peer, bytes) {
          if (cut.has(`${self}>${peer}`)) return 'no-link'
          const drop = drops.get(self)
          if (drop?.(peer, decodeFrame(bytes)) === true) return 'queued'
          net.send(self, peer, bytes)
          return 'queued'
        },
      },
      ...options.options?.(self),
    })
    net.attach(self, (from, bytes) => node.receive(from, bytes))
    nodes.set(self, node)
  }
  for (const node of nodes.values()) await node.start()
  const get = <T>(map: ReadonlyMap<PeerId, T>, peer: PeerId): T => {
    const value = map.get(peer)
    if (value === undefined) throw new Error(`no peer ${peer} in the cluster`)
    return value
  }
  return {
    clock,
    net,
    hasher,
    nodes,
    node: (peer) => get(nodes, peer),
    store: (peer) => get(stores, peer),
    cutLink: (from, to) => cut.add(`${from}>${to}`),
    restoreLink: (from, to) => cut.delete(`${from}>${to}`),
    dropFrom: (from, filter) => {
      if (filter === undefined) drops.delete(from)
      else drops.set(from, filter)
    },
    async until<T>(promise: Promise<T>, maxMs = 120_000): Promise<T> {
      let settled = false
      promise.then(
        () => {
          settled = true
        },
        () => {
          settled = true
        },
      )
      for (let waited = 0; waited < maxMs && !settled; waited += 5) await clock.advanceAsync(5)
      return promise
    },
    async stop() {
      const stopping = Promise.all([...nodes.values()].map((node) => node.stop()))
      for (let i = 0; i < 100; i++) await clock.advanceAsync(50)
      await stopping
    },
  }
}

/** A writer of chained entries for `channel` from genesis (or from `tail`). */
export function logWriter(
  hasher: EntryHasher,
  channel: ChannelId,
  author: PeerId,
  tail: { readonly nextSeq: Seq; readonly lastHash: Uint8Array } = {
    nextSeq: 0 as Seq,
    lastHash: GENESIS_HASH,
  },
): TestLogWriter {
  return testLogWriter(hasher, channel, author, tail)
}

/** Appends `entries` to each store. */
export async function fill(
  stores: readonly MemoryLogStore[],
  channel: ChannelId,
  entries: readonly Entry[],
): Promise<void> {
  for (const store of stores) await store.append(channel, entries)
}
