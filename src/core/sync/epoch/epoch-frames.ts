/** Frames and checks EpochRotation builds from a rotation's state. */
import type { ChannelId, PeerId } from '../../log/ids.js'
import type { EpochWireFrame } from '../../wire/sync-frame-codec.js'
import type { EpochRecord } from './epoch-book.js'
import type { EpochRotationError } from './epoch-errors.js'
import { type EpochAbortReason, MAX_REPLICA_SET_SIZE } from './epoch-messages.js'

/** Why `rotate` cannot start, if it cannot. */
export function rotationProblem(
  current: EpochRecord | undefined,
  replicaSet: readonly PeerId[],
  selfIsParticipant: boolean,
): string | undefined {
  if (current === undefined) return 'this peer holds no epoch for the channel'
  if (replicaSet.length === 0 || replicaSet.length > MAX_REPLICA_SET_SIZE) {
    return `a replica set holds 1 to ${MAX_REPLICA_SET_SIZE} peers`
  }
  if (new Set(replicaSet).size !== replicaSet.length) return 'the replica set repeats a peer'
  if (selfIsParticipant) return 'the coordinator cannot be its own participant'
  return undefined
}

/** The abort a rotation that ended with `error` sends to whoever repeats a frame of it. */
export function abortFrame(
  state: { readonly channel: ChannelId; readonly rotationId: bigint; readonly epoch: number },
  error: EpochRotationError,
): EpochWireFrame {
  const reasons: Record<string, EpochAbortReason> = {
    ERR_EPOCH_TIMED_OUT: 'timed-out',
    ERR_EPOCH_STUCK: 'stuck',
    ERR_EPOCH_DECODE: 'invalid',
    ERR_EPOCH_ENCODE: 'invalid',
  }
  const { channel: channelId, rotationId, epoch } = state
  return {
    kind: 'epoch-abort',
    message: {
      channelId,
      rotationId,
      epoch,
      reason: reasons[error.code] ?? 'cancelled',
      detail: '',
    },
  }
}
