import { describe, expect, it } from 'vitest'
import { ReceiveCredit, SendCredit } from './link-credit.js'

describe('credit: a sender may send a frame when credit >= min(cost, window)', () => {
  it('spends the window, then waits for grants', () => {
    const send = new SendCredit()
    expect(send.canSend(1)).toBe(false) // no grant yet
    expect(send.grant(100)).toBe(true)
    expect(send.peerWindow).toBe(100)
    expect(send.canSend(60)).toBe(true)
    send.spend(60)
    expect(send.canSend(60)).toBe(false)
    expect(send.grant(60)).toBe(true)
    expect(send.canSend(60)).toBe(true)
  })

  it('lets a frame larger than the window go alone, once nothing is outstanding', () => {
    const send = new SendCredit()
    send.grant(100)
    send.spend(10)
    expect(send.canSend(500)).toBe(false)
    send.grant(10)
    expect(send.canSend(500)).toBe(true)
    send.spend(500)
    expect(send.canSend(1)).toBe(false)
  })

  it('flags a peer that grants past its own window', () => {
    const send = new SendCredit()
    send.grant(100)
    expect(send.grant(1)).toBe(false)
  })
})

describe('credit: the receiver checks the same rule against its grants', () => {
  it('accepts what the sender may send and refuses the rest', () => {
    const receive = new ReceiveCredit(100)
    expect(receive.initialGrant()).toBe(100)
    expect(receive.accept(60)).toBe(true)
    expect(receive.accept(60)).toBe(false)
    receive.consumed(60)
    expect(receive.shouldGrantNow).toBe(true)
    expect(receive.takePending()).toBe(60)
    expect(receive.accept(60)).toBe(true)
  })

  it('accepts an oversized frame only once everything before it was granted back', () => {
    const receive = new ReceiveCredit(100)
    receive.initialGrant()
    expect(receive.accept(10)).toBe(true)
    expect(receive.accept(500)).toBe(false)
    receive.consumed(10)
    receive.takePending()
    expect(receive.accept(500)).toBe(true)
  })

  it('owes credit in quarter-window batches', () => {
    const receive = new ReceiveCredit(100)
    receive.initialGrant()
    receive.consumed(24)
    expect(receive.shouldGrantNow).toBe(false)
    receive.consumed(1)
    expect(receive.shouldGrantNow).toBe(true)
  })
})
