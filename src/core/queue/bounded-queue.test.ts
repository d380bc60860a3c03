import { describe, expect, it } from 'vitest'
import { BoundedQueue } from './bounded-queue.js'
import { DropCounter } from './drop-counter.js'

describe('BoundedQueue', () => {
  it('refuses past capacity and keeps FIFO order across wrap-around', () => {
    const q = new BoundedQueue<number>(3)
    expect([q.tryPush(1), q.tryPush(2), q.tryPush(3), q.tryPush(4)]).toEqual([
      true,
      true,
      true,
      false,
    ])
    expect(q.isFull).toBe(true)
    expect(q.shift()).toBe(1)
    expect(q.tryPush(5)).toBe(true)
    expect(q.peek()).toBe(2)
    expect(q.drain()).toEqual([2, 3, 5])
    expect(q.size).toBe(0)
    expect(q.shift()).toBeUndefined()
  })

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new BoundedQueue(0)).toThrow(RangeError)
    expect(() => new BoundedQueue(1.5)).toThrow(RangeError)
  })
})

describe('DropCounter', () => {
  it('counts per reason and totals them', () => {
    const c = new DropCounter(['full', 'closed'] as const)
    c.record('full')
    c.record('full', 2)
    c.record('closed')
    expect(c.snapshot()).toEqual({ full: 3, closed: 1, total: 4 })
  })
})

describe('BoundedQueue growth', () => {
  it('keeps FIFO order while the ring grows and wraps, and still refuses at capacity', () => {
    const q = new BoundedQueue<number>(100)
    const expected: number[] = []
    let next = 0
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) {
        if (q.tryPush(next)) expected.push(next)
        next++
      }
      for (let i = 0; i < 3; i++) expect(q.shift()).toBe(expected.shift())
    }
    while (q.tryPush(next)) expected.push(next++)
    expect(q.size).toBe(100)
    expect(q.tryPush(-1)).toBe(false)
    expect(q.drain()).toEqual(expected)
  })
})
