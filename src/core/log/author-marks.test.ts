import { describe, expect, it } from 'vitest'
import { AuthorMarks, NO_MARK } from './author-marks.js'
import { type PeerId, peerId } from './ids.js'

const a = peerId('a')
const b = peerId('b')
const c = peerId('c')

function write(author: PeerId, authorSeq: number) {
  return { author, authorSeq }
}

describe('AuthorMarks', () => {
  it('raises each author to the highest authorSeq appended, only on apply', () => {
    const marks = new AuthorMarks()
    const plan = marks.planAppend([write(a, 0), write(b, 4), write(a, 1)])
    expect(marks.get(a)).toBe(NO_MARK)
    marks.apply(plan)
    expect([marks.get(a), marks.get(b)]).toEqual([1, 4])
  })

  it('drops below the first cut entry of each author on truncation', () => {
    const marks = new AuthorMarks()
    marks.apply(marks.planAppend([write(a, 0), write(b, 0), write(a, 1), write(a, 2), write(b, 1)]))
    marks.apply(marks.planTruncate([write(a, 2), write(b, 1)]))
    expect([marks.get(a), marks.get(b)]).toEqual([1, 0])
    marks.apply(marks.planTruncate([write(b, 0)]))
    expect(marks.get(b)).toBe(NO_MARK)
    expect(marks.size).toBe(1)
  })

  it('is bounded: past capacity the least recently written author is forgotten and counted', () => {
    const marks = new AuthorMarks(2)
    marks.apply(marks.planAppend([write(a, 0)]))
    marks.apply(marks.planAppend([write(b, 0)]))
    marks.apply(marks.planAppend([write(a, 1)]))
    marks.apply(marks.planAppend([write(c, 0)]))
    expect(marks.size).toBe(2)
    expect([marks.get(a), marks.get(b), marks.get(c)]).toEqual([1, NO_MARK, 0])
    expect(marks.evicted).toBe(1)
  })
})
