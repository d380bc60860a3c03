/**
 * One heartbeat tick as a pure function of (role, tail, tracker, now): the
 * frames to send and the role change to request. The runtime ships the
 * frames and applies the change; nothing here does I/O or mutates state.
 *
 * - leader, replica: a heartbeat to every other member of the replica set.
 * - replica whose leader went silent (or who has had none for the miss
 *   window): request replica → candidate, and send no SyncRequest, since
 *   the leader it would go to is stale.
 * - replica behind its believed leader: one SyncRequest from its tail.
 * - replica not behind, whose tail is not yet known to be on the leader's
 *   chain (beyond the seed, see chain-check): one SyncRequest from
 *   `probeSinceSeq`, just below its tail, to compare an entry by hash.
 * - candidate, idle: silent on the wire.
 */
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import type { PendingTransition } from './election.js'
import type { HeartbeatTracker } from './heartbeat-tracker.js'
import type { BandwidthClass, ReplicaRole, SyncHeartbeat, SyncRequest } from './messages.js'

/** A SyncRequest before the runtime mints its token. */
export type SyncRequestDraft = Omit<SyncRequest, 'requestId'>

export type OutboundMessage =
  | { readonly kind: 'heartbeat'; readonly target: PeerId; readonly message: SyncHeartbeat }
  | { readonly kind: 'sync-request'; readonly target: PeerId; readonly message: SyncRequestDraft }

export interface TickInputs {
  readonly self: PeerId
  readonly role: ReplicaRole
  readonly channelId: ChannelId
  /** Local tail, carried by every heartbeat. */
  readonly tailSeq: Seq
  readonly replicaSet: readonly PeerId[]
  readonly tracker: HeartbeatTracker
  readonly wallClockMs: number
  readonly chunkMax: number
  readonly bandwidthClass: BandwidthClass
  readonly now: number
  /** Set while the replica must check its tail against the leader's chain. */
  readonly probeSinceSeq?: Seq
}

export interface TickOutcome {
  /** In replica-set order, so each tick's emission is deterministic. */
  readonly outbound: OutboundMessage[]
  readonly transition: PendingTransition | undefined
}

export function tick(inputs: TickInputs): TickOutcome {
  const outbound: OutboundMessage[] = []
  if (inputs.role !== 'leader' && inputs.role !== 'replica') {
    return { outbound, transition: undefined }
  }
  for (const peer of new Set(inputs.replicaSet)) {
    if (peer === inputs.self) continue
    outbound.push({
      kind: 'heartbeat',
      target: peer,
      message: {
        channelId: inputs.channelId,
        tailSeq: inputs.tailSeq,
        role: inputs.role,
        wallClockMs: inputs.wallClockMs,
      },
    })
  }
  if (inputs.role !== 'replica') return { outbound, transition: undefined }

  const { tracker, now } = inputs
  if (tracker.isLeaderSilent(now) || tracker.isLeaderlessTooLong(now)) {
    return { outbound, transition: { target: 'candidate', signal: 'missed-heartbeats' } }
  }
  // seed 001: never address a SyncRequest to ourselves, even if a
  // misrouted heartbeat made the tracker believe we lead.
  const leader = tracker.believedLeader
  const leaderTail = leader === undefined ? undefined : tracker.peerState(leader)?.tailSeq
  if (leader !== undefined && leader !== inputs.self && leaderTail !== undefined) {
    const behind = leaderTail > inputs.tailSeq
    if (behind || inputs.probeSinceSeq !== undefined) {
      outbound.push({
        kind: 'sync-request',
        target: leader,
        message: {
          channelId: inputs.channelId,
          sinceSeq: behind ? inputs.tailSeq : (inputs.probeSinceSeq as Seq),
          chunkMax: inputs.chunkMax,
          bandwidthClass: inputs.bandwidthClass,
        },
      })
    }
  }
  return { outbound, transition: undefined }
}
