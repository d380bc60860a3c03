import { describe, expect, it } from 'vitest'
import type { SegmentRecord } from '../core/log/segment-codec.js'
import { RecentSegments } from './recent-segments.js'

function record(channel: string, firstSeq: number, bytes: number): SegmentRecord {
  return {
    channel,
    firstSeq,
    count: 1,
    payloadBytes: bytes,
    format: 1,
    prevHash: new Uint8Array(32),
    lastHash: new Uint8Array(32),
    authors: [],
    data: new Uint8Array(bytes),
    checksum: new Uint8Array(32),
  }
}

describe('RecentSegments keeps the newest records within its byte budget', () => {
  it('evicts the oldest first, and counts a replaced record once', () => {
    const recent = new RecentSegments(300)
    recent.put(record('a', 0, 100))
    recent.put(record('a', 10, 100))
    recent.put(record('a', 10, 150)) // the tail segment grew in place
    expect(recent.bytes).toBe(250)
    recent.put(record('b', 0, 100))
    expect(recent.get('a', 0)).toBeUndefined()
    expect(recent.get('a', 10)?.data.byteLength).toBe(150)
    expect(recent.get('b', 0)).toBeDefined()
    expect(recent.bytes).toBe(250)
  })

  it('keeps no record larger than the budget, and nothing with a budget of 0', () => {
    const recent = new RecentSegments(100)
    recent.put(record('a', 0, 101))
    expect(recent.size).toBe(0)
    const none = new RecentSegments(0)
    none.put(record('a', 0, 1))
    expect(none.size).toBe(0)
  })

  it('forgets one channel, or everything', () => {
    const recent = new RecentSegments(1000)
    recent.put(record('a', 0, 100))
    recent.put(record('b', 0, 100))
    recent.forget('a')
    expect(recent.get('a', 0)).toBeUndefined()
    expect(recent.bytes).toBe(100)
    recent.clear()
    expect(recent.size).toBe(0)
    expect(recent.bytes).toBe(0)
  })
})
