import { beforeAll, describe, expect, it } from 'vitest'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { sealEntries } from '../log/entry-chain.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, peerId, type Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { seededRng } from '../random/rng.js'
import { LogMirror } from './log-mirror.js'
import { PayloadCatalog } from './payload-catalog.js'

const CH = channelId('mirror-test')
const LEADER = peerId('p1')
let hasher: EntryHasher

beforeAll(async () => {
  hasher = await loadEntryHasher()
})

async function setup() {
  const store = new MemoryLogStore()
  await store.open()
  const catalog = new PayloadCatalog(seededRng(1))
  const mirror = new LogMirror(peerId('p2'), CH)
  const seal = (count: number, author = LEADER) => {
    const state = store.state(CH)
    const drafts = Array.from({ length: count }, (_, i) => ({
      author,
      authorSeq: state.nextSeq + i,
      payload: catalog.mint(CH, LEADER).payload,
    }))
    return sealEntries(hasher, CH, state, drafts)
  }
  const sync = () => mirror.sync(store, hasher, catalog, 0)
  return { store, catalog, mirror, seal, sync }
}

describe('LogMirror', () => {
  it('follows a log that grows, is cut and is skipped, entry by entry', async () => {
    const { store, mirror, seal, sync } = await setup()
    expect(await sync()).toBe('none')
    await store.append(CH, seal(3))
    expect(await sync()).toBe('advanced')
    await store.append(CH, seal(2))
    expect(await sync()).toBe('advanced')
    expect(mirror.nextSeq).toBe(5)
    await store.truncateAfter(CH, 2)
    await store.append(CH, seal(1))
    expect(await sync()).toBe('reset')
    expect(mirror.nextSeq).toBe(4)
    await store.skipTo(CH, 9 as Seq)
    expect(await sync()).toBe('reset')
    await store.append(CH, seal(2))
    expect(await sync()).toBe('advanced')
    expect([mirror.firstSeq, mirror.nextSeq]).toEqual([9, 11])
  })

  it('rejects an entry whose hash does not match its contents', async () => {
    const { store, seal, sync } = await setup()
    const entries = seal(3)
    const forged = { ...(entries[1] as Entry), payload: Uint8Array.of(9, 9, 9, 9) }
    await store.append(CH, [entries[0] as Entry, forged, entries[2] as Entry])
    await expect(sync()).rejects.toMatchObject({ invariant: 'log-validity' })
  })

  it('rejects a payload appearing twice, or sealed by a peer it was not submitted to', async () => {
    const twice = await setup()
    const [first] = twice.seal(1) as [Entry]
    await twice.store.append(CH, [first])
    const again = sealEntries(hasher, CH, twice.store.state(CH), [
      { author: LEADER, authorSeq: 1, payload: first.payload },
    ])
    await twice.store.append(CH, again)
    await expect(twice.sync()).rejects.toThrow(/appears twice/)

    const stranger = await setup()
    await stranger.store.append(CH, stranger.seal(1, peerId('p3')))
    await expect(stranger.sync()).rejects.toThrow(/submitted to p1, sealed by p3/)
  })

  it('rejects an entry whose payload was never submitted', async () => {
    const { store, sync } = await setup()
    const made = sealEntries(hasher, CH, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }, [
      { author: LEADER, authorSeq: 0, payload: Uint8Array.of(0xff, 0, 0, 1) },
    ])
    await store.append(CH, made)
    await expect(sync()).rejects.toThrow(/never submitted/)
  })
})
