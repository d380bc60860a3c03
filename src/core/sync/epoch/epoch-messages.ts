/**
 * The four frames of an epoch rotation (seed 003's EpochRotationProposal,
 * EpochConfirmation and EpochCommit, plus an abort the seed leaves to its
 * VM), as plain readonly data for the codec in
 * `src/core/wire/sync-frame-codec.ts`. A rotation is named by a random
 * 64-bit `rotationId` chosen by the coordinator; every frame echoes it.
 *
 *   coordinator                      each participant
 *   epoch-propose (epoch, set)  ──▶
 *                               ◀──  epoch-confirm
 *   (every participant confirmed)
 *   epoch-commit  (epoch, set)  ──▶  the new set takes effect
 *   epoch-abort   (reason)     ◀──▶  either side gives up
 */
import type { ChannelId, PeerId } from '../../log/ids.js'

/** Why a rotation was abandoned; the order fixes the wire code. */
export const EPOCH_ABORT_REASONS = [
  'cancelled',
  'timed-out',
  'stuck',
  /** A frame of the rotation did not match it (wrong epoch, wrong set). */
  'invalid',
  /** The participant is already at this epoch or a later one. */
  'stale-epoch',
  /** The participant is in another rotation of the same channel. */
  'busy',
  /** The proposer may not rotate this channel (not a member of its current set). */
  'not-authorized',
  'shutting-down',
] as const
export type EpochAbortReason = (typeof EPOCH_ABORT_REASONS)[number]

/** Most peers in a replica set on the wire. */
export const MAX_REPLICA_SET_SIZE = 256
export const EPOCH_ABORT_DETAIL_MAX_LENGTH = 256

export interface EpochPropose {
  readonly channelId: ChannelId
  readonly rotationId: bigint
  readonly epoch: number
  readonly replicaSet: readonly PeerId[]
}

export interface EpochConfirm {
  readonly channelId: ChannelId
  readonly rotationId: bigint
  readonly epoch: number
}

export interface EpochCommit {
  readonly channelId: ChannelId
  readonly rotationId: bigint
  readonly epoch: number
  readonly replicaSet: readonly PeerId[]
}

export interface EpochAbort {
  readonly channelId: ChannelId
  readonly rotationId: bigint
  readonly epoch: number
  readonly reason: EpochAbortReason
  readonly detail: string
}
