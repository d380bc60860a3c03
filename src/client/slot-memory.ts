/**
 * The slots this tab held, in sessionStorage: it survives a reload of the
 * tab (and only this tab), so the reloaded page asks for its old slot first
 * and stays the same peer with the same database.
 */
import { acquirePeerSlot, isSlotHeldHere, type PeerSlot } from './peer-slot.js'

function storage(): Storage | undefined {
  try {
    return typeof sessionStorage === 'undefined' ? undefined : sessionStorage
  } catch {
    // Storage disabled (privacy settings, sandboxed frame): nothing to remember.
    return undefined
  }
}

export function rememberedSlots(key: string): number[] {
  const raw = storage()?.getItem(key)
  if (raw === null || raw === undefined) return []
  try {
    const parsed: unknown = JSON.parse(raw)
    return Array.isArray(parsed) ? parsed.filter((n): n is number => Number.isSafeInteger(n)) : []
  } catch {
    return []
  }
}

export function rememberSlot(key: string, slot: number): void {
  const slots = rememberedSlots(key)
  if (slots.includes(slot)) return
  try {
    storage()?.setItem(key, JSON.stringify([...slots, slot].slice(-32)))
  } catch {
    // Quota or disabled storage: the tab just may not get its slot back.
  }
}

/**
 * Takes a slot for this tab: the one it held before a reload if it comes
 * free within `waitMs`, else the first free one. Remembers what it took.
 */
export async function acquireTabSlot(options: {
  readonly lockPrefix: string
  readonly sessionKey: string
  readonly max: number
  readonly waitMs: number
}): Promise<PeerSlot> {
  const { lockPrefix, sessionKey } = options
  const preferred = rememberedSlots(sessionKey).find((n) => !isSlotHeldHere(`${lockPrefix}${n}`))
  const slot = await acquirePeerSlot({
    prefix: lockPrefix,
    max: options.max,
    preferredWaitMs: options.waitMs,
    ...(preferred === undefined ? {} : { preferred }),
  })
  rememberSlot(sessionKey, slot.index)
  return slot
}
