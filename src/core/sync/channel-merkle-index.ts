/**
 * Keeps a MerkleLog per channel in step with a LogStore, so the sync manager
 * can give its local root and verify what peers send. A tree is caught up
 * lazily (on each request, reading only the entries appended since), follows
 * truncation, and is rebuilt when the store's chain no longer matches it
 * (a divergent suffix was replaced). Trees outlive retention: evicted
 * entries keep their leaves, so roots always cover the log from seq 0.
 *
 * Bounds: at most `maxChannels` trees in memory (least recently used
 * dropped first, counted); each costs ~64-128 B per entry (see merkle-log).
 * A channel whose store starts after seq 0 (it skipped ahead) has no tree
 * until frontier bootstrapping exists.
 */
import { equals } from 'uint8arrays/equals'
import { InvalidArgumentError } from '../errors.js'
import type { Entry } from '../log/entry.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, Seq } from '../log/ids.js'
import { RangeEvictedError } from '../log/log-errors.js'
import type { ChannelState, LogStore } from '../log/log-store.js'
import { hashLeaf, type TreeHead } from './merkle-hash.js'
import { MerkleLog } from './merkle-log.js'

export const DEFAULT_MAX_MERKLE_CHANNELS = 64
export const DEFAULT_MERKLE_READ_BATCH = 1024

export interface ChannelMerkleIndexOptions {
  readonly store: LogStore
  readonly hasher: EntryHasher
  readonly maxChannels?: number
  readonly readBatch?: number
}

export interface ChannelMerkleIndexStats {
  readonly channels: number
  readonly evictions: number
  readonly rebuilds: number
}

export class ChannelMerkleIndex {
  readonly hasher: EntryHasher
  readonly #store: LogStore
  readonly #maxChannels: number
  readonly #readBatch: number
  readonly #trees = new Map<ChannelId, MerkleLog>()
  readonly #queues = new Map<ChannelId, Promise<void>>()
  #evictions = 0
  #rebuilds = 0

  constructor(options: ChannelMerkleIndexOptions) {
    this.#store = options.store
    this.hasher = options.hasher
    this.#maxChannels = options.maxChannels ?? DEFAULT_MAX_MERKLE_CHANNELS
    this.#readBatch = options.readBatch ?? DEFAULT_MERKLE_READ_BATCH
    for (const [name, value] of [
      ['maxChannels', this.#maxChannels],
      ['readBatch', this.#readBatch],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new InvalidArgumentError(`${name} must be a positive integer`, {
          details: { [name]: value },
        })
      }
    }
  }

  /**
   * The channel's tree, caught up to the store's tail; undefined when the
   * store no longer holds the entries the tree would need. The tree is live:
   * read what you need before the next await.
   */
  tree(channel: ChannelId): Promise<MerkleLog | undefined> {
    return this.#serialized(channel, () => this.#catchUp(channel, true))
  }

  /**
   * Adds entries just appended to the store to the channel's tree without
   * reading them back (a sync session appending what it verified). Entries
   * that do not continue the tree are ignored: the next `tree()` catches up
   * from the store as usual.
   */
  extend(channel: ChannelId, entries: readonly Entry[]): Promise<void> {
    return this.#serialized(channel, async () => {
      const tree = this.#trees.get(channel)
      const first = entries[0]
      if (tree === undefined || first === undefined || first.seq !== tree.size) return
      const continues =
        tree.size === 0 || equals(hashLeaf(this.hasher, first.prevHash), tree.leaf(tree.size - 1))
      if (!continues) return
      for (const entry of entries) tree.append(entry.hash)
    })
  }

  #serialized<T>(channel: ChannelId, work: () => Promise<T>): Promise<T> {
    // One catch-up per channel at a time, so two callers never append twice.
    const previous = this.#queues.get(channel) ?? Promise.resolve()
    const next = previous.then(work)
    const done = next.then(
      () => {},
      () => {},
    )
    this.#queues.set(channel, done)
    void done.then(() => {
      if (this.#queues.get(channel) === done) this.#queues.delete(channel)
    })
    return next
  }

  async head(channel: ChannelId): Promise<TreeHead | undefined> {
    return (await this.tree(channel))?.head()
  }

  stats(): ChannelMerkleIndexStats {
    return { channels: this.#trees.size, evictions: this.#evictions, rebuilds: this.#rebuilds }
  }

  async #catchUp(channel: ChannelId, mayRebuild: boolean): Promise<MerkleLog | undefined> {
    const state = this.#store.state(channel)
    let tree = this.#take(channel)
    if (tree !== undefined && !this.#tailMatches(tree, state)) {
      this.#rebuilds++
      tree = undefined
    }
    if (tree === undefined) {
      if (state.firstSeq > 0) return undefined
      tree = new MerkleLog(this.hasher)
    }
    try {
      while (tree.size < state.nextSeq) {
        const from = tree.size
        const entries = await this.#store.read(channel, from as Seq, state.nextSeq, {
          maxEntries: this.#readBatch,
        })
        const first = entries[0]
        if (first === undefined) break
        if (from > 0 && !equals(hashLeaf(this.hasher, first.prevHash), tree.leaf(from - 1))) {
          // The store rewrote entries we had indexed: start over, once.
          this.#rebuilds++
          return mayRebuild ? this.#catchUp(channel, false) : undefined
        }
        for (const entry of entries) tree.append(entry.hash)
      }
    } catch (error) {
      if (error instanceof RangeEvictedError) return undefined
      throw error
    }
    this.#keep(channel, tree)
    return tree
  }

  /** Cuts the tree back to the store's tail and checks the tail entry is still the one indexed. */
  #tailMatches(tree: MerkleLog, state: ChannelState): boolean {
    if (tree.size > state.nextSeq) tree.truncate(state.nextSeq)
    if (tree.size === 0 || tree.size < state.nextSeq) return true
    return equals(tree.leaf(tree.size - 1), hashLeaf(this.hasher, state.lastHash))
  }

  #take(channel: ChannelId): MerkleLog | undefined {
    const tree = this.#trees.get(channel)
    this.#trees.delete(channel)
    return tree
  }

  #keep(channel: ChannelId, tree: MerkleLog): void {
    this.#trees.set(channel, tree)
    for (const oldest of this.#trees.keys()) {
      if (this.#trees.size <= this.#maxChannels) break
      this.#trees.delete(oldest)
      this.#evictions++
    }
  }
}
