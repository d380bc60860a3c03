/**
 * Whether this peer takes part in a proposal, and whether it applies a
 * commit no running participant was waiting for: pure rules over what the
 * peer knows of the channel.
 */
import type { PeerId } from '../../log/ids.js'
import type { EpochRecord } from './epoch-book.js'
import type { FinishedRotation } from './finished-rotations.js'
import { sameMembers } from './replica-sets.js'

export const EPOCH_REFUSALS = ['not-authorized', 'stale-epoch', 'busy', 'shutting-down'] as const
export type EpochRefusal = (typeof EPOCH_REFUSALS)[number]

export interface ProposalContext {
  readonly stopped: boolean
  /** The proposer may rotate this channel (see EpochRotationOptions.authorize). */
  readonly authorized: boolean
  readonly current: EpochRecord | undefined
  /** A rotation of the channel already runs here, or we take part in as many as we allow. */
  readonly busy: boolean
}

export function proposalRefusal(epoch: number, context: ProposalContext): EpochRefusal | undefined {
  if (context.stopped) return 'shutting-down'
  if (!context.authorized) return 'not-authorized'
  if (context.current !== undefined && epoch <= context.current.epoch) return 'stale-epoch'
  if (context.busy) return 'busy'
  return undefined
}

export interface LateCommit {
  readonly epoch: number
  readonly replicaSet: readonly PeerId[]
}

/**
 * A commit with no participant waiting is applied when an authorized member
 * sent it for a later epoch and either we hold the channel (a member the new
 * set drops is told this way) or we took part in that rotation and gave up
 * before the commit came: then it must be what we confirmed, and we must not
 * have given up because the rotation was malformed. An unsolicited commit
 * for a channel we do not hold is refused.
 */
export function acceptsLateCommit(
  commit: LateCommit,
  finished: FinishedRotation | undefined,
  current: EpochRecord | undefined,
  authorized: boolean,
): boolean {
  if (!authorized) return false
  if (current !== undefined && commit.epoch <= current.epoch) return false
  if (finished === undefined) return current !== undefined
  if (finished.outcome === 'committed' || finished.invalid === true) return false
  const confirmed = finished.confirmed
  return (
    confirmed === undefined ||
    (confirmed.epoch === commit.epoch && sameMembers(confirmed.replicaSet, commit.replicaSet))
  )
}
