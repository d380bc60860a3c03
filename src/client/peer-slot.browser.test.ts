import { describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import { acquirePeerSlot } from './peer-slot.js'

/** Holds a lock from "another page": a lock request that is not a PeerSlot of this module. */
function holdElsewhere(name: string): { release: () => void; held: Promise<void> } {
  let release: () => void = () => undefined
  let markHeld: () => void = () => undefined
  const held = new Promise<void>((resolve) => {
    markHeld = resolve
  })
  void navigator.locks.request(name, () => {
    markHeld()
    return new Promise<void>((resolve) => {
      release = resolve
    })
  })
  return { release: () => release(), held }
}

describe(`peer slots in ${server.browser}`, () => {
  it('waits for the preferred slot while a reloading page still holds it', async () => {
    const prefix = `pref-${crypto.randomUUID()}-`
    const old = holdElsewhere(`${prefix}1`)
    await old.held
    const taking = acquirePeerSlot({ prefix, preferred: 1, preferredWaitMs: 5000 })
    // The old page goes away after our request is queued.
    setTimeout(() => old.release(), 100)
    const slot = await taking
    expect(slot.index).toBe(1)
    slot.release()
  })

  it('takes the first free slot when the preferred one stays taken past the wait', async () => {
    const prefix = `pref-${crypto.randomUUID()}-`
    const other = holdElsewhere(`${prefix}0`)
    await other.held
    const started = performance.now()
    const slot = await acquirePeerSlot({ prefix, preferred: 0, preferredWaitMs: 200 })
    expect(slot.index).toBe(1)
    expect(performance.now() - started).toBeGreaterThanOrEqual(190)
    slot.release()
    other.release()
  })

  it('never waits for a slot this page holds itself', async () => {
    const prefix = `pref-${crypto.randomUUID()}-`
    const mine = await acquirePeerSlot({ prefix })
    const started = performance.now()
    const next = await acquirePeerSlot({ prefix, preferred: mine.index, preferredWaitMs: 5000 })
    expect(next.index).toBe(1)
    expect(performance.now() - started).toBeLessThan(1000)
    mine.release()
    next.release()
  })
})
