import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { PeerId } from '../log/ids.js'
import { elect, electionTransition, type RttLookup } from './election.js'
import { N10, N20, N30, N99 } from './replication-test-kit.js'

const rtts =
  (table: Partial<Record<PeerId, number>>): RttLookup =>
  (peer) =>
    table[peer]
const alive =
  (...peers: PeerId[]) =>
  (peer: PeerId) =>
    peers.includes(peer)

describe('the election picks the lowest RTT among healthy members, then the smallest id', () => {
  it('lets a healthy self win at RTT 0', () => {
    const outcome = elect([N10, N20, N30], N10, rtts({ [N20]: 1, [N30]: 2 }), alive(N10, N20, N30))
    expect(outcome).toEqual({ kind: 'self-wins' })
  })

  it('picks the nearest healthy peer when self is not eligible', () => {
    const outcome = elect([N10, N20, N30], N99, rtts({ [N20]: 9, [N30]: 4 }), alive(N20, N30))
    expect(outcome).toEqual({ kind: 'peer-wins', peer: N30 })
  })

  it('breaks RTT ties by peer id, whatever the set order', () => {
    for (const set of [
      [N10, N20, N30],
      [N30, N20, N10],
      [N20, N30, N10],
    ]) {
      expect(elect(set, N99, () => 7, alive(N10, N20, N30))).toEqual({
        kind: 'peer-wins',
        peer: N10,
      })
    }
  })

  it('excludes peers with no RTT measurement', () => {
    const outcome = elect([N10, N20], N99, rtts({ [N20]: 50 }), alive(N10, N20))
    expect(outcome).toEqual({ kind: 'peer-wins', peer: N20 })
  })

  it('finds no one when nobody is healthy', () => {
    expect(elect([N10, N20], N10, () => 1, alive())).toEqual({ kind: 'no-eligible-replica' })
  })

  it('maps outcomes onto transitions (none keeps the candidate waiting)', () => {
    expect(electionTransition({ kind: 'self-wins' })).toEqual({
      target: 'leader',
      signal: 'election-won',
    })
    expect(electionTransition({ kind: 'peer-wins', peer: N20 })).toEqual({
      target: 'replica',
      signal: 'election-lost',
    })
    expect(electionTransition({ kind: 'no-eligible-replica' })).toBeUndefined()
  })
})

describe('the election is deterministic over any view (property)', () => {
  const seed = process.env.SEED === undefined ? undefined : Number(process.env.SEED)
  const ids = ['node-a', 'node-b', 'node-c', 'node-d', 'node-e'] as PeerId[]

  it('picks the minimal (rtt, id) healthy member, whatever the set order', () => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray(ids, { minLength: 1 }),
        fc.constantFrom(...ids),
        fc.dictionary(fc.constantFrom(...ids), fc.integer({ min: 0, max: 20 })),
        fc.uniqueArray(fc.constantFrom(...ids)),
        (set, self, table, healthy) => {
          const rtt: RttLookup = (peer) => table[peer]
          const isHealthy = (peer: PeerId) => healthy.includes(peer)
          const outcome = elect(set, self, rtt, isHealthy)
          expect(elect([...set].reverse(), self, rtt, isHealthy)).toEqual(outcome)
          const ranked = set
            .filter(isHealthy)
            .map((peer) => ({ peer, rtt: peer === self ? 0 : table[peer] }))
            .filter((c): c is { peer: PeerId; rtt: number } => c.rtt !== undefined)
            .sort((a, b) => a.rtt - b.rtt || (a.peer < b.peer ? -1 : 1))
          const best = ranked[0]
          if (best === undefined) expect(outcome).toEqual({ kind: 'no-eligible-replica' })
          else if (best.peer === self) expect(outcome).toEqual({ kind: 'self-wins' })
          else expect(outcome).toEqual({ kind: 'peer-wins', peer: best.peer })
        },
      ),
      seed === undefined ? {} : { seed },
    )
  })
})
