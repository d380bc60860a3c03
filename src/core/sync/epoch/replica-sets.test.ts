import { describe, expect, it } from 'vitest'
import { sameMembers } from './replica-sets.js'

describe('sameMembers compares replica sets as sets', () => {
  it('ignores the order peers are listed in', () => {
    expect(sameMembers(['a', 'b', 'c'], ['c', 'a', 'b'])).toBe(true)
  })

  it('tells sets of other members or sizes apart', () => {
    expect(sameMembers(['a', 'b'], ['a', 'c'])).toBe(false)
    expect(sameMembers(['a', 'b'], ['a', 'b', 'c'])).toBe(false)
  })

  it('counts a peer listed twice on one side only as a difference, either way round', () => {
    expect(sameMembers(['a', 'b'], ['a', 'a'])).toBe(false)
    expect(sameMembers(['a', 'a'], ['a', 'b'])).toBe(false)
  })
})
