/**
 * Invariant 1, checked once the mesh has converged (and stayed so through
 * the quiet phase): every append a peer acknowledged, committed at once or
 * pending in its outbox, is in the channel's final log exactly once. The
 * final log is the converged leader's, as its mirror saw it: the entries it
 * holds, plus those retention evicted from its front (still committed, in
 * the order, just no longer kept). An entry both held and evicted would be
 * there twice. A log whose mirror lost track of its history (re-read from
 * a seq past 0, after a skip-ahead) cannot say whether it held an entry it
 * does not have: such an entry is counted as unverifiable, not lost.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { LogChecker } from './check-logs.js'
import { InvariantViolation } from './invariant-violation.js'
import type { AckedAppend } from './sim-workload.js'

export interface AckedCheck {
  /** Acknowledged appends with an entry missing from the final log. */
  readonly lostAckedAppends: number
  readonly lostAckedEntries: number
  readonly unverifiableAckedEntries: number
  /** Entries in the final log whose append was never acknowledged. */
  readonly unackedInLog: number
}

export function checkAcked(
  now: number,
  acked: readonly AckedAppend[],
  leaders: ReadonlyMap<ChannelId, PeerId>,
  logs: LogChecker,
): AckedCheck {
  let lostAckedAppends = 0
  let lostAckedEntries = 0
  let unverifiableAckedEntries = 0
  const ackedIds = new Set<number>()
  const lost: string[] = []
  for (const append of acked) {
    const leader = leaders.get(append.channel)
    if (leader === undefined) continue
    const log = logs.mirror(leader, append.channel)
    let missing = 0
    for (const id of append.ids) {
      ackedIds.add(id)
      if (log.holds(id) && log.evicted(id)) {
        throw new InvariantViolation(
          'acked-once',
          now,
          `write ${id} (acknowledged by ${append.peer} at t=${append.at}) is twice in ${append.channel}`,
        )
      }
      if (log.holds(id) || log.evicted(id)) continue
      if (!log.historyKnown) unverifiableAckedEntries += 1
      else {
        missing += 1
        lost.push(`${id}@${append.peer}/${append.channel}(t=${append.at})`)
      }
    }
    if (missing > 0) lostAckedAppends += 1
    lostAckedEntries += missing
  }
  if (lost.length > 0) {
    throw new InvariantViolation(
      'acked-lost',
      now,
      `${lost.length} acknowledged writes are not in the final log: ${lost.slice(0, 8).join(' ')}`,
    )
  }
  let unackedInLog = 0
  for (const [channel, leader] of leaders) {
    for (const id of logs.mirror(leader, channel).ids()) if (!ackedIds.has(id)) unackedInLog += 1
  }
  return { lostAckedAppends, lostAckedEntries, unverifiableAckedEntries, unackedInLog }
}
