import { describe, expect, it } from 'vitest'
import { InvalidArgumentError } from '../errors.js'
import { Mailbox } from '../queue/mailbox.js'
import { SessionSlots } from './session-slots.js'

describe('session slots are a FIFO semaphore with abortable waits', () => {
  it('grants in order and hands a released slot to the next waiter', async () => {
    const slots = new SessionSlots(1, 8)
    const never = new AbortController().signal
    const first = await slots.acquire(never)
    const order: string[] = []
    const second = slots.acquire(never).then((release) => {
      order.push('second')
      return release
    })
    const third = slots.acquire(never).then((release) => {
      order.push('third')
      return release
    })
    expect(slots.waiting).toBe(2)
    first()
    first() // idempotent: must not free a second slot
    ;(await second)()
    ;(await third)()
    expect(order).toEqual(['second', 'third'])
    expect(slots.inUse).toBe(0)
  })

  it('an aborted wait leaves the queue with the abort reason', async () => {
    const slots = new SessionSlots(1, 8)
    await slots.acquire(new AbortController().signal)
    const controller = new AbortController()
    const waiting = slots.acquire(controller.signal)
    controller.abort(new Error('deadline'))
    await expect(waiting).rejects.toThrow('deadline')
    expect(slots.waiting).toBe(0)
  })

  it('roomToWait holds while the waiting room is full', async () => {
    const slots = new SessionSlots(1, 1)
    const never = new AbortController().signal
    const held = await slots.acquire(never)
    const waiter = slots.acquire(never)
    let room = false
    void slots.roomToWait(never).then(() => {
      room = true
    })
    await Promise.resolve()
    expect(room).toBe(false)
    held()
    await waiter
    await Promise.resolve()
    expect(room).toBe(true)
  })

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new SessionSlots(0, 1)).toThrow(InvalidArgumentError)
  })
})

describe('a mailbox never blocks its producers', () => {
  it('refuses when full or closed, and its consumer drains after close', async () => {
    const mailbox = new Mailbox<number>(2)
    expect([mailbox.trySend(1), mailbox.trySend(2), mailbox.trySend(3)]).toEqual([
      'queued',
      'queued',
      'full',
    ])
    mailbox.close()
    expect(mailbox.trySend(4)).toBe('closed')
    expect([await mailbox.receive(), await mailbox.receive(), await mailbox.receive()]).toEqual([
      1,
      2,
      undefined,
    ])
  })

  it('a waiting consumer wakes on send and on close', async () => {
    const mailbox = new Mailbox<string>(1)
    const next = mailbox.receive()
    mailbox.trySend('x')
    await expect(next).resolves.toBe('x')
    const last = mailbox.receive()
    mailbox.close()
    await expect(last).resolves.toBeUndefined()
  })
})
