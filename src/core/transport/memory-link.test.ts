import { describe, expect, it } from 'vitest'
import { peerId } from '../log/ids.js'
import { memoryLinkPair } from './memory-link.js'

const A = peerId('a')
const B = peerId('b')

async function collect(frames: AsyncIterable<Uint8Array>, n: number): Promise<number[]> {
  const out: number[] = []
  for await (const frame of frames) {
    out.push(frame[0] as number)
    if (out.length === n) break
  }
  return out
}

describe('memory links', () => {
  it('carry frames in order, both ways', async () => {
    const [ab, ba] = memoryLinkPair(A, B)
    expect(ab.remotePeer).toBe(B)
    for (let i = 0; i < 5; i++) await ab.send(Uint8Array.of(i))
    await ba.send(Uint8Array.of(9))
    expect(await collect(ba.frames, 5)).toEqual([0, 1, 2, 3, 4])
    expect(await collect(ab.frames, 1)).toEqual([9])
  })

  it('make a sender wait while the receiver is at its high-water mark', async () => {
    const [ab, ba] = memoryLinkPair(A, B, 2)
    await ab.send(Uint8Array.of(0))
    let sent = false
    const blocked = ab.send(Uint8Array.of(1)).then(() => {
      sent = true
    })
    await Promise.resolve()
    expect(sent).toBe(false)
    const iterator = ba.frames[Symbol.asyncIterator]()
    expect((await iterator.next()).value?.[0]).toBe(0)
    await blocked
    expect(sent).toBe(true)
  })

  it('closing one end ends both: readers stop, senders fail, closed settles', async () => {
    const [ab, ba] = memoryLinkPair(A, B)
    await ab.send(Uint8Array.of(1))
    ba.close()
    await Promise.all([ab.closed, ba.closed])
    await expect(ab.send(Uint8Array.of(2))).rejects.toMatchObject({ code: 'ERR_CLOSED' })
    expect(await collect(ba.frames, 10)).toEqual([1])
    expect(await collect(ab.frames, 10)).toEqual([])
  })
})
