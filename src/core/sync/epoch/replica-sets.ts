/** Replica sets compared as sets: the order peers are listed in carries no meaning. */
import type { PeerId } from '../../log/ids.js'

export function sameMembers<P extends string = PeerId>(a: readonly P[], b: readonly P[]): boolean {
  if (a.length !== b.length) return false
  const members = new Set(a)
  return b.every((peer) => members.has(peer))
}
