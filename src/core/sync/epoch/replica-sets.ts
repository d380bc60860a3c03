/** Replica sets compared as sets: the order peers are listed in carries no meaning. */
import type { PeerId } from '../../log/ids.js'

export function sameMembers<P extends string = PeerId>(a: readonly P[], b: readonly P[]): boolean {
  if (a.length !== b.length) return false
  // Sorted copies, so a peer listed twice on one side only is a difference too.
  const left = [...a].sort()
  const right = [...b].sort()
  return left.every((peer, i) => peer === right[i])
}
