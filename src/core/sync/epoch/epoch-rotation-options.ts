/** The events, options and per-rotation options of EpochRotation. */
import type { ChannelId, PeerId } from '../../log/ids.js'
import type { Logger } from '../../logger.js'
import type { FrameSink } from '../../node/frame-sink.js'
import type { Rng } from '../../random/rng.js'
import type { Clock } from '../../time/clock.js'
import type { EpochCommitted, EpochRecord } from './epoch-book.js'
import type { EpochRole } from './epoch-errors.js'

export interface EpochRotationEvents {
  'epoch-proposed': {
    readonly channel: ChannelId
    readonly epoch: number
    readonly participants: readonly PeerId[]
  }
  'epoch-confirmed': {
    readonly channel: ChannelId
    readonly epoch: number
    readonly coordinator: PeerId
  }
  'epoch-committed': EpochCommitted
  'epoch-aborted': {
    readonly channel: ChannelId
    readonly epoch: number
    readonly role: EpochRole
    readonly code: string
  }
}

export interface EpochRotationOptions {
  readonly self: PeerId
  readonly clock: Clock
  readonly rng: Rng
  readonly sink: FrameSink
  readonly logger?: Logger
  /** Makes a committed epoch take effect on this peer; failures are logged and counted. */
  readonly onCommit: (commit: EpochCommitted) => void | Promise<void>
  /** The coordinator's deadline for every confirmation (default 10 s). */
  readonly deadlineMs?: number
  /** A participant's deadline for the commit (default 15 s: it outwaits the coordinator). */
  readonly participantDeadlineMs?: number
  /** Unanswered proposals and confirmations are repeated this often (default 1 s). */
  readonly resendMs?: number
  /** Consecutive sends the transport may refuse before the rotation is stuck (default 3). */
  readonly maxSendFailures?: number
  /** Rotations this peer takes part in at once; more proposals are refused `busy` (default 64). */
  readonly maxParticipations?: number
  /** Who may propose or commit for a channel (default: a member of its current set, anyone for a channel unknown here). */
  readonly authorize?: (
    from: PeerId,
    channel: ChannelId,
    current: EpochRecord | undefined,
  ) => boolean
}

export interface RotateOptions {
  /** Who must confirm (default: the new set without this peer). */
  readonly participants?: readonly PeerId[]
  readonly signal?: AbortSignal
}
