import { describe, expect, it } from 'vitest'
import { type PeerId, peerId } from '../log/ids.js'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import { SimNetwork } from './sim-network.js'

const A = peerId('a')
const B = peerId('b')
const C = peerId('c')

function setup(seed = 1) {
  const clock = new ManualClock()
  const net = new SimNetwork({ clock, rng: seededRng(seed), minLatencyMs: 5, maxLatencyMs: 5 })
  const inbox = new Map<PeerId, string[]>()
  for (const peer of [A, B, C]) {
    inbox.set(peer, [])
    net.attach(peer, (from, bytes) => inbox.get(peer)?.push(`${from}:${bytes[0]}`))
  }
  return { clock, net, inbox }
}

describe('SimNetwork', () => {
  it('delivers after the latency, in order when there are no faults', () => {
    const { clock, net, inbox } = setup()
    for (let i = 0; i < 3; i++) net.send(A, B, Uint8Array.of(i))
    clock.advance(4)
    expect(inbox.get(B)).toEqual([])
    clock.advance(1)
    expect(inbox.get(B)).toEqual(['a:0', 'a:1', 'a:2'])
    expect(net.counters).toMatchObject({ sent: 3, delivered: 3, lost: 0 })
  })

  it('drops frames across a partition, including frames already in flight, until healed', () => {
    const { clock, net, inbox } = setup()
    net.send(A, B, Uint8Array.of(1))
    net.partition([[A], [B, C]])
    clock.advance(10)
    net.send(A, C, Uint8Array.of(2))
    net.send(B, C, Uint8Array.of(3))
    clock.advance(10)
    expect(inbox.get(B)).toEqual([])
    expect(inbox.get(C)).toEqual(['b:3'])
    net.heal()
    net.send(A, B, Uint8Array.of(4))
    clock.advance(10)
    expect(inbox.get(B)).toEqual(['a:4'])
    expect(net.counters.partitioned).toBe(2)
  })

  it('a crashed peer neither sends nor receives until attached again', () => {
    const { clock, net, inbox } = setup()
    net.crash(B)
    net.send(A, B, Uint8Array.of(1))
    net.send(B, A, Uint8Array.of(2))
    clock.advance(10)
    expect(inbox.get(A)).toEqual([])
    expect(inbox.get(B)).toEqual([])
    net.attach(B, (from, bytes) => inbox.get(B)?.push(`${from}:${bytes[0]}`))
    net.send(A, B, Uint8Array.of(3))
    clock.advance(10)
    expect(inbox.get(B)).toEqual(['a:3'])
    expect(net.counters.peerDown).toBe(2)
  })

  it('loses, duplicates and reorders with the configured odds, reproducibly from the seed', () => {
    const run = (seed: number) => {
      const { clock, net, inbox } = setup(seed)
      net.setFaults({ loss: 0.2, duplicate: 0.2, reorder: 0.3, reorderMs: 50 })
      for (let i = 0; i < 200; i++) net.send(A, B, Uint8Array.of(i % 256))
      clock.advance(100)
      return { received: inbox.get(B) ?? [], counters: { ...net.counters } }
    }
    const first = run(7)
    expect(run(7)).toEqual(first)
    expect(first.counters.lost).toBeGreaterThan(20)
    expect(first.counters.duplicated).toBeGreaterThan(20)
    expect(first.received.length).toBe(200 - first.counters.lost + first.counters.duplicated)
    const order = first.received.map((r) => Number(r.split(':')[1]))
    expect(order).not.toEqual([...order].sort((x, y) => x - y))
  })
})

describe('SimNetwork crash epochs', () => {
  it('loses frames in flight to a peer that crashed, even when it is back before they are due', () => {
    const { clock, net, inbox } = setup()
    net.send(A, B, Uint8Array.of(1))
    net.crash(B)
    net.attach(B, (from, bytes) => inbox.get(B)?.push(`${from}:${bytes[0]}`))
    net.send(A, B, Uint8Array.of(2))
    clock.advance(10)
    expect(inbox.get(B)).toEqual(['a:2'])
    expect(net.counters.peerDown).toBe(1)
  })
})
