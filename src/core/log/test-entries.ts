/**
 * Deterministic entries for tests and benchmarks: a channel's log built by
 * sealing drafts with seeded payloads, so a failure reproduces exactly.
 */
import type { ChainTail, Entry, EntryDraft } from './entry.js'
import { sealEntries } from './entry-chain.js'
import type { EntryHasher } from './entry-hasher.js'
import type { ChannelId, PeerId } from './ids.js'

/** xorshift32: a tiny seeded byte source; not for anything but test data. */
export function seededBytes(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 0x9e3779b9
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

export interface TestLogWriter {
  /** Seals `count` entries onto the writer's tail and advances it. */
  next(count: number, payloadBytes?: number): Entry[]
  readonly tail: ChainTail
}

/** Builds chained entries for one channel, starting from `tail`. */
export function testLogWriter(
  hasher: EntryHasher,
  channel: ChannelId,
  author: PeerId,
  tail: ChainTail,
): TestLogWriter {
  let current = tail
  let authorSeq = 0
  return {
    get tail() {
      return current
    },
    next(count, payloadBytes = 16) {
      const drafts: EntryDraft[] = []
      for (let i = 0; i < count; i++) {
        drafts.push({
          author,
          authorSeq,
          payload: seededBytes(authorSeq * 7919 + current.nextSeq + 1, payloadBytes),
        })
        authorSeq += 1
      }
      const entries = sealEntries(hasher, channel, current, drafts)
      const last = entries[entries.length - 1]
      if (last !== undefined)
        current = { nextSeq: (last.seq + 1) as ChainTail['nextSeq'], lastHash: last.hash }
      return entries
    },
  }
}
