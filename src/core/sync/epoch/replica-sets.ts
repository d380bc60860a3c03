/** Replica sets compared as sets: the order peers are listed in carries no meaning. */
import type { PeerId } from '../../log/ids.js'

export function sameMembers(a: readonly PeerId[], b: readonly PeerId[]): boolean {
  if (a.length !== b.length) return false
  const members = new Set(a)
  return b.every((peer) => members.has(peer))
}
