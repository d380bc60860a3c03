/**
 * What reaches a channel's runtime: a decoded frame from a peer, or the
 * local Shutdown. `from` is the transport-authenticated sender.
 */
import type { PeerId } from '../log/ids.js'
import type { LeaderHandoff } from './handoff-message.js'
import type { SyncHeartbeat, SyncNack, SyncRequest, SyncResponse } from './messages.js'
import type { Propose } from './propose-message.js'

export type Inbound =
  | { readonly kind: 'heartbeat'; readonly from: PeerId; readonly message: SyncHeartbeat }
  | { readonly kind: 'sync-request'; readonly from: PeerId; readonly message: SyncRequest }
  | { readonly kind: 'sync-response'; readonly from: PeerId; readonly message: SyncResponse }
  | { readonly kind: 'sync-nack'; readonly from: PeerId; readonly message: SyncNack }
  | { readonly kind: 'propose'; readonly from: PeerId; readonly message: Propose }
  | { readonly kind: 'leader-handoff'; readonly from: PeerId; readonly message: LeaderHandoff }
  | { readonly kind: 'shutdown' }

export type PeerInbound = Exclude<Inbound, { kind: 'shutdown' }>

/**
 * Catch-up-critical events ride the priority lane, so a heartbeat flood
 * from many peers can neither strand a leader's response nor delay shutdown.
 */
export function isPriorityInbound(event: Inbound): boolean {
  return event.kind === 'shutdown' || event.kind === 'sync-response' || event.kind === 'sync-nack'
}
