/**
 * A tab's stable identity on this origin. Each tab holds the first free Web
 * Lock named `<prefix><n>`; the slot number picks the tab's database and
 * key, so a reload (which releases the lock as the old page unloads) comes
 * back to the same slot, and two live tabs never share one.
 */
import { MeshlogError } from '../core/errors.js'

export class SlotUnavailableError extends MeshlogError {
  override readonly name = 'SlotUnavailableError'
  override readonly code = 'ERR_SLOT_UNAVAILABLE'
}

export interface PeerSlot {
  readonly index: number
  /** The lock name, e.g. `meshlog-slot-0`. */
  readonly name: string
  /** Gives the slot up (idempotent); the lock is also released when the page goes away. */
  release(): void
}

export interface PeerSlotOptions {
  readonly prefix?: string
  /** How many slots to try before giving up (default 32). */
  readonly max?: number
}

function tryLock(name: string, index: number): Promise<PeerSlot | undefined> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (lock === null) {
          resolve(undefined)
          return undefined
        }
        // Hold the lock until release(): the callback's promise is the lock's lifetime.
        return new Promise<void>((release) => {
          let released = false
          resolve({
            index,
            name,
            release() {
              if (released) return
              released = true
              release()
            },
          })
        })
      })
      .catch(reject)
  })
}

export async function acquirePeerSlot(options: PeerSlotOptions = {}): Promise<PeerSlot> {
  const prefix = options.prefix ?? 'meshlog-slot-'
  const max = options.max ?? 32
  if (typeof navigator === 'undefined' || navigator.locks === undefined) {
    throw new SlotUnavailableError('Web Locks are not available here; pass an explicit slot', {
      details: { prefix },
    })
  }
  for (let index = 0; index < max; index++) {
    const slot = await tryLock(`${prefix}${index}`, index)
    if (slot !== undefined) return slot
  }
  throw new SlotUnavailableError(`all ${max} peer slots are taken by other tabs`, {
    details: { prefix, max },
  })
}
