/**
 * How a StreamLink is configured and what it counts; the defaults and bounds.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { describeValue, InvalidArgumentError } from '../core/errors.js'
import type { PeerId } from '../core/log/ids.js'
import type { LinkKind } from '../core/transport/link.js'

export interface StreamLinkOptions {
  /** Largest frame either way. Default: the wire codec's `MAX_FRAME_BYTES`. */
  readonly maxFrameBytes?: number
  /** Frame bytes the peer may send before we grant more. Default 2 MiB. */
  readonly receiveWindowBytes?: number
  /** `send()` calls that may wait at once; more throw `SendQueueFullError`. Default 64. */
  readonly maxPendingSends?: number
  /** Deadline of one `send()`, queueing included. Default 30 s. */
  readonly sendTimeoutMs?: number
  /** How long a graceful `close()` waits for the peer before aborting. Default 5 s. */
  readonly closeTimeoutMs?: number
  /** Ping the peer after this long without hearing from it; 0 turns it off. Default 10 s. */
  readonly keepAliveMs?: number
  /** How long a keepalive ping may go unanswered before the link closes. Default 10 s. */
  readonly keepAliveTimeoutMs?: number
}

/** The parts of a libp2p stream a link uses. */
export type LinkStream = Pick<
  Stream,
  | 'send'
  | 'close'
  | 'abort'
  | 'writableNeedsDrain'
  | 'addEventListener'
  | 'removeEventListener'
  | 'direction'
  | 'status'
>

export interface StreamLinkInit extends StreamLinkOptions {
  readonly stream: LinkStream
  readonly remotePeer: PeerId
  readonly kind: LinkKind
  /** Where libp2p's own round-trip estimate comes from, if the link has not measured one. */
  readonly connection?: Pick<Connection, 'rtt' | 'id'>
}

export interface SendOptions {
  readonly signal?: AbortSignal
}

export interface StreamLinkStats {
  readonly framesSent: number
  readonly bytesSent: number
  readonly framesReceived: number
  readonly bytesReceived: number
  /** Sends that had to wait for the peer's credit. */
  readonly creditWaits: number
  /** Sends that had to wait for the transport to drain. */
  readonly drainWaits: number
  /** Frames received but never read because the link closed locally first. */
  readonly framesDroppedOnClose: number
  /** Pings from the peer left unanswered because our send buffer was full. */
  readonly pongsSkipped: number
}

export const DEFAULT_RECEIVE_WINDOW_BYTES = 2 << 20

export function integer(
  name: string,
  value: number | undefined,
  fallback: number,
  min = 1,
): number {
  const chosen = value ?? fallback
  if (!Number.isSafeInteger(chosen) || chosen < min) {
    throw new InvalidArgumentError(`${name} must be an integer of at least ${min}`, {
      details: { [name]: describeValue(value) },
    })
  }
  return chosen
}
