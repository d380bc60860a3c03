import { beforeAll, describe, expect, it } from 'vitest'
import { type Entry, GENESIS_HASH } from '../../log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../../log/entry-hasher.js'
import { channelId, peerId, type Seq } from '../../log/ids.js'
import { testLogWriter } from '../../log/test-entries.js'
import { MerkleLog } from '../merkle-log.js'
import { buildHeadReply, judgeHeadReply } from './head-exchange.js'

const CH = channelId('heads')
let hasher: EntryHasher
beforeAll(async () => {
  hasher = await loadEntryHasher()
})

function tree(entries: readonly Entry[], size = entries.length): MerkleLog {
  return new MerkleLog(
    hasher,
    entries.slice(0, size).map((e) => e.hash),
  )
}

function chain(count: number, author = 'a', from?: Entry): Entry[] {
  return testLogWriter(hasher, CH, peerId(author), {
    nextSeq: (from === undefined ? 0 : from.seq + 1) as Seq,
    lastHash: from?.hash ?? GENESIS_HASH,
  }).next(count)
}

describe('the head exchange tells extension, lag, equality and divergence apart', () => {
  it('for every pair of sizes over one log, the verdict follows the sizes', () => {
    const log = chain(40)
    for (const m of [0, 1, 7, 16, 33, 40]) {
      for (const n of [0, 1, 5, 16, 31, 40]) {
        const ours = tree(log, m)
        const reply = buildHeadReply(tree(log, n), m)
        const verdict = judgeHeadReply(hasher, m, (s) => ours.root(s), reply).verdict
        expect(verdict, `m=${m} n=${n}`).toBe(
          n === m ? 'in-sync' : n < m ? 'remote-behind' : 'remote-ahead',
        )
      }
    }
  })

  it('a fork at any point is divergence, whoever is longer', () => {
    const shared = chain(20)
    const ours = [...shared, ...chain(10, 'b', shared.at(-1))]
    const theirs = [...shared, ...chain(15, 'c', shared.at(-1))]
    for (const [m, n] of [
      [30, 35],
      [30, 25],
      [25, 25],
    ] as const) {
      const local = tree(ours, m)
      const reply = buildHeadReply(tree(theirs, n), m)
      expect(judgeHeadReply(hasher, m, (s) => local.root(s), reply).verdict).toBe('diverged')
    }
    // Up to the fork the logs agree.
    const local = tree(ours, 20)
    expect(
      judgeHeadReply(hasher, 20, (s) => local.root(s), buildHeadReply(tree(theirs), 20)).verdict,
    ).toBe('remote-ahead')
  })

  it('a reply that contradicts its own proof is rejected, not judged', () => {
    const log = chain(40)
    const ours = tree(log, 10)
    const honest = buildHeadReply(tree(log), 10)
    const judge = (reply: typeof honest) => judgeHeadReply(hasher, 10, (s) => ours.root(s), reply)
    expect(judge({ ...honest, head: { ...honest.head, root: new Uint8Array(32) } })).toMatchObject({
      verdict: 'proof-rejected',
    })
    expect(judge({ ...honest, consistency: honest.consistency.slice(1) }).verdict).toBe(
      'proof-rejected',
    )
    expect(judge({ ...honest, prefix: { ...honest.prefix, size: 9 } })).toEqual({
      verdict: 'proof-rejected',
      detail: 'prefix of 9 entries, expected 10',
    })
  })
})
