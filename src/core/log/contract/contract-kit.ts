/**
 * What every part of the LogStore contract shares: the harness, the
 * channels and author the tests write as, stores that are destroyed after
 * each test, and helpers that make entries and compare them.
 */
import { afterEach, beforeAll } from 'vitest'
import type { Entry } from '../entry.js'
import { sealEntries } from '../entry-chain.js'
import { type EntryHasher, loadEntryHasher } from '../entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId, type Seq } from '../ids.js'
import type { ChannelState, LogStore, OutboxEntry } from '../log-store.js'
import { testLogWriter } from '../test-entries.js'

export interface LogStoreHarness {
  /** Label shown in test names, e.g. "IndexedDB (chromium)". */
  readonly name: string
  /** A fresh, empty, open store (with a small outbox when asked). */
  create(options?: { readonly outboxCapacity?: number }): Promise<LogStore>
  /** Closes `store` and opens a new store over the same data. */
  reopen(store: LogStore): Promise<LogStore>
  /** Damages the stored payload bytes of one entry, behind the store's back. */
  corrupt(store: LogStore, channel: ChannelId, seq: Seq): Promise<void>
  /**
   * Leaves about `freeBytes` of room for `store`; returns a function that
   * gives the room back. Stores whose limit is fixed by their environment may
   * ignore `freeBytes`.
   */
  limitSpace(store: LogStore, freeBytes: number): Promise<() => Promise<void>>
  /** Closes the store and deletes its data. */
  destroy(store: LogStore): Promise<void>
  /** Property-test runs; browsers get fewer. */
  readonly propertyRuns?: number
}

export const CH = channelId('contract-channel')
export const OTHER = channelId('contract-other')
export const AUTHOR: PeerId = peerId('author-a')

/** An entry's fields as plain values, for `toEqual`. */
export function summary(entries: readonly Entry[]) {
  return entries.map((e) => ({
    seq: e.seq,
    author: e.author,
    authorSeq: e.authorSeq,
    payload: Array.from(e.payload),
    hash: Array.from(e.hash),
    prevHash: Array.from(e.prevHash),
  }))
}

export function tailOf(state: ChannelState) {
  return { nextSeq: state.nextSeq, lastHash: state.lastHash }
}

export function outboxSummary(entries: readonly OutboxEntry[]) {
  return entries.map((e) => ({
    author: e.author,
    authorSeq: e.authorSeq,
    payload: Array.from(e.payload),
    signature: e.signature === undefined ? undefined : Array.from(e.signature),
    groupProof: e.groupProof === undefined ? undefined : Array.from(e.groupProof),
  }))
}

/** A write of `author` as it waits in an outbox: unsigned, signed, or signed in a group. */
export function pending(
  author: PeerId,
  authorSeq: number,
  signed: boolean | 'in-group' = false,
): OutboxEntry {
  const draft = { author, authorSeq, payload: new Uint8Array([authorSeq, 7, 7]) }
  if (signed === false) return draft
  const signature = new Uint8Array(64).fill(authorSeq)
  if (signed === true) return { ...draft, signature }
  return { ...draft, signature, groupProof: new Uint8Array(2 + 32).fill(authorSeq + 1) }
}

export interface ContractKit {
  readonly harness: LogStoreHarness
  /** Loaded before the first test. */
  readonly hasher: EntryHasher
  /** A fresh store, destroyed after the test. */
  fresh(options?: { readonly outboxCapacity?: number }): Promise<LogStore>
  /** `store` closed and opened again over the same data. */
  reopen(store: LogStore): Promise<LogStore>
  /** Destroys `store` now rather than after the test. */
  destroy(store: LogStore): Promise<void>
  /** Writes AUTHOR's entries onto the channel's tail in `store`. */
  writer(store: LogStore, channel?: ChannelId): ReturnType<typeof testLogWriter>
  /** Entries of several authors sealed onto the channel's tail. */
  authored(store: LogStore, writes: readonly [PeerId, number][], channel?: ChannelId): Entry[]
}

/** The kit for one run of the contract; call it inside the contract's `describe`. */
export function useContractKit(harness: LogStoreHarness): ContractKit {
  let hasher: EntryHasher | undefined
  const live = new Set<LogStore>()
  beforeAll(async () => {
    hasher = await loadEntryHasher()
  })
  afterEach(async () => {
    for (const s of live) await harness.destroy(s)
    live.clear()
  })
  const kit: ContractKit = {
    harness,
    get hasher(): EntryHasher {
      if (hasher === undefined) throw new Error('the hasher loads before the first test')
      return hasher
    },
    async fresh(options) {
      const s = await harness.create(options)
      live.add(s)
      return s
    },
    async reopen(s) {
      live.delete(s)
      const next = await harness.reopen(s)
      live.add(next)
      return next
    },
    async destroy(s) {
      live.delete(s)
      await harness.destroy(s)
    },
    writer(s, channel = CH) {
      return testLogWriter(kit.hasher, channel, AUTHOR, tailOf(s.state(channel)))
    },
    authored(s, writes, channel = CH) {
      return sealEntries(
        kit.hasher,
        channel,
        tailOf(s.state(channel)),
        writes.map(([author, authorSeq]) => ({
          author,
          authorSeq,
          payload: new Uint8Array([authorSeq, author.length]),
        })),
      )
    },
  }
  return kit
}
