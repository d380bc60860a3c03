import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { LinkKind } from '../core/transport/link.js'
import { isDesignatedDialer, type LinkFacts, prefersCandidate } from './link-preference.js'

const fact = (kind: LinkKind, openedBy: string, openedAt: number): LinkFacts => ({
  kind,
  openedBy,
  openedAt,
})

describe('which of two links a peer pair keeps', () => {
  it('keeps the better kind', () => {
    expect(prefersCandidate(fact('relayed', 'a', 1), fact('webrtc', 'b', 2))).toBe(true)
    expect(prefersCandidate(fact('webrtc', 'b', 2), fact('relayed', 'a', 3))).toBe(false)
    expect(prefersCandidate(fact('relayed', 'a', 1), fact('websocket', 'a', 2))).toBe(true)
  })

  it('between equal kinds, keeps the one the smaller peer id opened', () => {
    expect(prefersCandidate(fact('webrtc', 'b', 1), fact('webrtc', 'a', 2))).toBe(true)
    expect(prefersCandidate(fact('webrtc', 'a', 2), fact('webrtc', 'b', 1))).toBe(false)
  })

  it('between links opened by the same peer, keeps the newer', () => {
    expect(prefersCandidate(fact('webrtc', 'a', 1), fact('webrtc', 'a', 2))).toBe(true)
    expect(prefersCandidate(fact('webrtc', 'a', 2), fact('webrtc', 'a', 1))).toBe(false)
  })

  it('is a strict order, so both ends, seeing the links in either order, keep the same one', () => {
    const kind = fc.constantFrom<LinkKind>('webrtc', 'websocket', 'relayed')
    const link = fc.record({ kind, openedBy: fc.constantFrom('a', 'b'), openedAt: fc.nat(5) })
    fc.assert(
      fc.property(link, link, (x, y) => {
        fc.pre(x.kind !== y.kind || x.openedBy !== y.openedBy || x.openedAt !== y.openedAt)
        const keptWhenXFirst = prefersCandidate(x, y) ? y : x
        const keptWhenYFirst = prefersCandidate(y, x) ? x : y
        expect(keptWhenXFirst).toBe(keptWhenYFirst)
      }),
    )
  })

  it('names exactly one dialer per pair', () => {
    expect(isDesignatedDialer('a', 'b')).toBe(true)
    expect(isDesignatedDialer('b', 'a')).toBe(false)
  })
})
