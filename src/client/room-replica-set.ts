/**
 * The replica set of a room's channels: this peer and every peer seen in
 * the room, ever (remembered per room in localStorage, so a reloaded tab
 * starts from the set it had, not alone). A peer that leaves stays in the
 * set: it may be offline with entries of its own and come back, and its
 * frames must not be dropped as an outsider's then. The set only grows, up
 * to `REPLICA_SET_MAX`; past that the longest-unseen peers make room.
 */
import { type PeerId, peerId } from '../core/log/ids.js'
import { REPLICA_SET_MAX } from './mesh-log-options.js'

/** The part of the Web Storage API this needs (tests pass a Map-backed one). */
export interface SmallStorage {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

function load(storage: SmallStorage | undefined, key: string): PeerId[] {
  try {
    const raw = storage?.getItem(key)
    if (raw === null || raw === undefined) return []
    const parsed: unknown = JSON.parse(raw)
    if (!Array.isArray(parsed)) return []
    return parsed.flatMap((p) => {
      try {
        return [peerId(p)]
      } catch {
        return []
      }
    })
  } catch {
    // Storage may be disabled or hold garbage: start empty.
    return []
  }
}

export class RoomReplicaSet {
  readonly self: PeerId
  readonly #storage: SmallStorage | undefined
  readonly #key: string
  /** Others, least recently seen first. */
  #others: PeerId[]

  constructor(self: PeerId, storageKey: string, storage?: SmallStorage) {
    this.self = self
    this.#storage = storage
    this.#key = storageKey
    this.#others = load(storage, storageKey)
      .filter((p) => p !== self)
      .slice(-(REPLICA_SET_MAX - 1))
  }

  /** This peer first, then the others by id. */
  get peers(): PeerId[] {
    return [this.self, ...[...this.#others].sort()]
  }

  /** Notes members seen now; true when the set changed. */
  see(members: readonly PeerId[]): boolean {
    const fresh = members.filter((m) => m !== this.self)
    if (fresh.length === 0) return false
    const before = new Set(this.#others)
    const seen = new Set(fresh)
    this.#others = [...this.#others.filter((p) => !seen.has(p)), ...seen].slice(
      -(REPLICA_SET_MAX - 1),
    )
    const changed = this.#others.length !== before.size || this.#others.some((p) => !before.has(p))
    try {
      this.#storage?.setItem(this.#key, JSON.stringify(this.#others))
    } catch {
      // Quota or disabled storage: the set still works for this session.
    }
    return changed
  }
}
