import { describe, expect, it } from 'vitest'
import { peerId } from '../../log/ids.js'
import { acceptsLateCommit, proposalRefusal } from './epoch-admission.js'

const SET = [peerId('a'), peerId('b')]
const current = { epoch: 2, replicaSet: SET }
const commit = { epoch: 3, replicaSet: SET }

describe('which proposals a peer takes part in', () => {
  it('refuses when stopping, unauthorized, stale or busy, in that order', () => {
    const base = { stopped: false, authorized: true, current, busy: false }
    expect(proposalRefusal(3, base)).toBeUndefined()
    expect(proposalRefusal(3, { ...base, stopped: true, authorized: false })).toBe('shutting-down')
    expect(proposalRefusal(3, { ...base, authorized: false })).toBe('not-authorized')
    expect(proposalRefusal(2, { ...base, busy: true })).toBe('stale-epoch')
    expect(proposalRefusal(3, { ...base, busy: true })).toBe('busy')
    expect(proposalRefusal(0, { ...base, current: undefined })).toBeUndefined()
  })
})

describe('which commits apply without a running participant', () => {
  it('a member of a channel we hold is told of a later epoch; an unsolicited commit for a channel we do not hold is refused', () => {
    expect(acceptsLateCommit(commit, undefined, current, true)).toBe(true)
    expect(acceptsLateCommit(commit, undefined, undefined, true)).toBe(false)
    expect(acceptsLateCommit(commit, undefined, current, false)).toBe(false)
    expect(acceptsLateCommit({ ...commit, epoch: 2 }, undefined, current, true)).toBe(false)
  })

  it('after giving up on a rotation, only the commit we confirmed applies, unless we gave up over a malformed frame', () => {
    const confirmed = { outcome: 'aborted' as const, answer: undefined, confirmed: commit }
    expect(acceptsLateCommit(commit, confirmed, undefined, true)).toBe(true)
    expect(
      acceptsLateCommit({ ...commit, replicaSet: [peerId('a')] }, confirmed, undefined, true),
    ).toBe(false)
    expect(acceptsLateCommit(commit, { ...confirmed, invalid: true }, current, true)).toBe(false)
    expect(acceptsLateCommit(commit, { ...confirmed, outcome: 'committed' }, current, true)).toBe(
      false,
    )
  })
})
