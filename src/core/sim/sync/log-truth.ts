/**
 * The one history of the sync scenarios' channel, and the check that every
 * honest peer holds a prefix of it. The history grows only from peers while
 * they lead (an entry a leader wrote, at its seq); every entry any live peer
 * holds must be that entry. So a forged chunk, a lying root or a bad proof
 * that got anything into an honest log shows up at the next step.
 */
import { toString as hex } from 'uint8arrays/to-string'
import type { ChannelId, PeerId, Seq } from '../../log/ids.js'
import type { MemoryLogStore } from '../../log/memory-log-store.js'
import { InvariantViolation } from '../invariant-violation.js'

export class LogTruth {
  /** Entry hash by seq, hex. */
  readonly #hashes: string[] = []
  /** Per peer: every entry below this seq was checked. */
  readonly #checked = new Map<PeerId, number>()
  readonly #channel: ChannelId
  readonly #stores: ReadonlyMap<PeerId, MemoryLogStore>
  readonly #isLeader: (peer: PeerId) => boolean
  /** Entries a peer held and later cut (a replica trimming towards its leader). */
  truncatedEntries = 0
  checkedEntries = 0
  /** Peers the truth check skips (a liar's own log is its business). */
  readonly exempt = new Set<PeerId>()

  constructor(
    channel: ChannelId,
    stores: ReadonlyMap<PeerId, MemoryLogStore>,
    isLeader: (peer: PeerId) => boolean,
  ) {
    this.#channel = channel
    this.#stores = stores
    this.#isLeader = isLeader
  }

  get length(): number {
    return this.#hashes.length
  }

  hashAt(seq: number): string | undefined {
    return this.#hashes[seq]
  }

  async check(now: number, live: readonly PeerId[]): Promise<void> {
    for (const peer of live) {
      if (this.#isLeader(peer) && !this.exempt.has(peer)) await this.#extendFrom(now, peer)
    }
    for (const peer of live) if (!this.exempt.has(peer)) await this.#verify(now, peer)
  }

  async #extendFrom(now: number, leader: PeerId): Promise<void> {
    const store = this.#stores.get(leader)
    if (store === undefined) return
    const { firstSeq, nextSeq } = store.state(this.#channel)
    const from = Math.max(firstSeq, this.#hashes.length)
    if (nextSeq <= from) return
    if (from > this.#hashes.length) {
      throw new InvariantViolation('prefix', now, `leader ${leader} starts past the history`)
    }
    const entries = await store.read(this.#channel, from as Seq, nextSeq as Seq)
    // Its entries must continue the history, not fork it.
    const previous = this.#hashes[from - 1]
    const first = entries[0]
    if (
      previous !== undefined &&
      first !== undefined &&
      hex(first.prevHash, 'base16') !== previous
    ) {
      throw new InvariantViolation(
        'prefix',
        now,
        `leader ${leader} forked the history at seq ${from}`,
      )
    }
    for (const e of entries) this.#hashes[e.seq] = hex(e.hash, 'base16')
  }

  async #verify(now: number, peer: PeerId): Promise<void> {
    const store = this.#stores.get(peer)
    if (store === undefined) return
    const { firstSeq, nextSeq } = store.state(this.#channel)
    let checked = this.#checked.get(peer) ?? 0
    if (nextSeq < checked) {
      this.truncatedEntries += checked - nextSeq
      checked = nextSeq
    }
    const from = Math.max(checked, firstSeq)
    if (nextSeq > from) {
      const entries = await store.read(this.#channel, from as Seq, nextSeq as Seq)
      for (const e of entries) {
        const expected = this.#hashes[e.seq]
        if (expected !== hex(e.hash, 'base16')) {
          throw new InvariantViolation(
            'prefix',
            now,
            expected === undefined
              ? `${peer} holds seq ${e.seq}, which no leader wrote`
              : `${peer} holds a forged entry at seq ${e.seq}`,
            { peer, seq: e.seq },
          )
        }
        this.checkedEntries += 1
      }
    }
    // A tail replaced in place (cut and rewritten within one step) still shows in its last hash.
    const { lastHash } = store.state(this.#channel)
    const expectedLast = this.#hashes[nextSeq - 1]
    if (nextSeq > firstSeq && expectedLast !== hex(lastHash, 'base16')) {
      throw new InvariantViolation('prefix', now, `${peer} ends on a forged entry`, {
        peer,
        seq: nextSeq - 1,
      })
    }
    this.#checked.set(peer, nextSeq)
  }
}
