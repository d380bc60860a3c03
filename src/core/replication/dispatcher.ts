/**
 * The runtime's only way out to the network. Each send resolves once the
 * frame is queued to the transport, not when the peer has it, and rejects
 * only when it could not even be queued. A frame lost after queueing is
 * invisible here: heartbeats and the next request recover from it, and the
 * leader's bandwidth budget, refunded only on rejection, over-counts it.
 */
import type { PeerId } from '../log/ids.js'
import type { LeaderHandoff } from './handoff-message.js'
import type { SyncHeartbeat, SyncNack, SyncRequest, SyncResponse } from './messages.js'
import type { Propose } from './propose-message.js'

/** The replication frames, as send failures and recordings name them. */
export type FrameKind =
  | 'heartbeat'
  | 'sync-request'
  | 'sync-response'
  | 'sync-nack'
  | 'propose'
  | 'leader-handoff'

export interface ReplicationDispatcher {
  sendHeartbeat(target: PeerId, message: SyncHeartbeat): Promise<void>
  sendSyncRequest(target: PeerId, message: SyncRequest): Promise<void>
  sendSyncResponse(target: PeerId, message: SyncResponse): Promise<void>
  sendSyncNack(target: PeerId, message: SyncNack): Promise<void>
  /** Forwards outbox writes to the believed leader. */
  sendPropose(target: PeerId, message: Propose): Promise<void>
  sendLeaderHandoff(target: PeerId, message: LeaderHandoff): Promise<void>
}
