import { describe, expect, it } from 'vitest'
import { GENESIS_HASH } from '../core/log/entry.js'
import { loadEntryHasher } from '../core/log/entry-hasher.js'
import { channelId, peerId } from '../core/log/ids.js'
import { testLogWriter } from '../core/log/test-entries.js'
import { packEntries } from './entry-batch.js'

describe('entry batches', () => {
  it('copy every byte of the entries into one fresh buffer, fields unchanged', async () => {
    const hasher = await loadEntryHasher()
    const writer = testLogWriter(hasher, channelId('c'), peerId('p'), {
      nextSeq: 0 as never,
      lastHash: GENESIS_HASH,
    })
    const entries = writer.next(5, 40)
    const signed = {
      ...(entries[4] as (typeof entries)[number]),
      signature: new Uint8Array(64).fill(3),
    }
    const source = [...entries.slice(0, 4), signed]
    const packed = packEntries(source)
    expect(packed.buffer.byteLength).toBe(5 * (40 + 32 + 32) + 64)
    expect(packed.entries).toEqual(source)
    for (const e of packed.entries) {
      expect(e.payload.buffer).toBe(packed.buffer)
      expect(e.hash.buffer).toBe(packed.buffer)
    }
    const moved = structuredClone(packed, { transfer: [packed.buffer] })
    expect(moved.entries).toEqual(source)
    expect(packed.buffer.byteLength).toBe(0)
  })
})
