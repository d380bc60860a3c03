/**
 * A tab's stable identity on this origin. Each tab holds the first free Web
 * Lock named `<prefix><n>`; the slot number picks the tab's database and
 * peer id, so a reload comes back to the same slot, and two live tabs never
 * share one.
 *
 * A reload races the old page's lock release against the new page's lock
 * request. So a tab may name the slot it held before (`preferred`, e.g.
 * remembered in sessionStorage, which survives a reload) and wait up to
 * `preferredWaitMs` for it before taking the first free one.
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
  /** A slot this tab held before; waited for (not just tried) first. */
  readonly preferred?: number
  /** How long to wait for the preferred slot (default 2000 ms). */
  readonly preferredWaitMs?: number
}

/** Slots held by this page, so it never waits for a slot it holds itself. */
const heldHere = new Set<string>()

export function isSlotHeldHere(name: string): boolean {
  return heldHere.has(name)
}

function requestLock(
  name: string,
  index: number,
  options: { ifAvailable: true } | { signal: AbortSignal },
): Promise<PeerSlot | undefined> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name, options, (lock) => {
        if (lock === null) {
          resolve(undefined)
          return undefined
        }
        heldHere.add(name)
        // Hold the lock until release(): the callback's promise is the lock's lifetime.
        return new Promise<void>((release) => {
          let released = false
          resolve({
            index,
            name,
            release() {
              if (released) return
              released = true
              heldHere.delete(name)
              release()
            },
          })
        })
      })
      .catch((error: unknown) => {
        if ((error as { name?: unknown } | null)?.name === 'AbortError') resolve(undefined)
        else reject(error)
      })
  })
}

async function waitForLock(name: string, index: number, waitMs: number) {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), waitMs)
  try {
    return await requestLock(name, index, { signal: controller.signal })
  } finally {
    clearTimeout(timer)
  }
}

export async function acquirePeerSlot(options: PeerSlotOptions = {}): Promise<PeerSlot> {
  const prefix = options.prefix ?? 'meshlog-slot-'
  const max = options.max ?? 32
  if (typeof navigator === 'undefined' || navigator.locks === undefined) {
    throw new SlotUnavailableError('Web Locks are not available here; pass an explicit slot', {
      details: { prefix },
    })
  }
  const preferred = options.preferred
  if (preferred !== undefined && preferred < max && !heldHere.has(`${prefix}${preferred}`)) {
    const name = `${prefix}${preferred}`
    const slot = await waitForLock(name, preferred, options.preferredWaitMs ?? 2000)
    if (slot !== undefined) return slot
  }
  for (let index = 0; index < max; index++) {
    const slot = await requestLock(`${prefix}${index}`, index, { ifAvailable: true })
    if (slot !== undefined) return slot
  }
  throw new SlotUnavailableError(`all ${max} peer slots are taken by other tabs`, {
    details: { prefix, max },
  })
}
