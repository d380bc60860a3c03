/**
 * The leadership hand-off frame: a leader that is leaving (a closing tab, an
 * admin drain) tells the successor it chose "take over at my tail". It stops
 * appending first, so the tail it names is final; the successor takes over
 * once its own log ends at exactly that seq and hash (pulling the rest first
 * if it lags), and the leader concedes when it hears the successor lead. No
 * replica waits out a heartbeat timeout.
 */
import type { ChannelId, PeerId, Seq } from '../log/ids.js'

export interface LeaderHandoff {
  readonly channelId: ChannelId
  /**
   * The peer taking over. The frame goes to every member: the successor
   * takes over, the others follow the successor the moment it announces.
   */
  readonly successor: PeerId
  /** The leader's tail: the seq its next entry would have taken. */
  readonly tailSeq: Seq
  /** Hash of the entry before `tailSeq` (GENESIS_HASH for an empty log). */
  readonly lastHash: Uint8Array
}
