/**
 * A ReplicationDispatcher that records every frame instead of sending it,
 * for tests and the simulator. Sends can be made to fail (reject, like a
 * transport that could not queue the frame) or to hang (never settle).
 */
import type { PeerId } from '../log/ids.js'
import type { FrameKind, ReplicationDispatcher } from './dispatcher.js'
import type { LeaderHandoff } from './handoff-message.js'
import type { SyncHeartbeat, SyncNack, SyncRequest, SyncResponse } from './messages.js'
import type { Propose } from './propose-message.js'

export interface Sent<M> {
  readonly target: PeerId
  readonly message: M
}

export class RecordingDispatcher implements ReplicationDispatcher {
  readonly heartbeats: Sent<SyncHeartbeat>[] = []
  readonly syncRequests: Sent<SyncRequest>[] = []
  readonly syncResponses: Sent<SyncResponse>[] = []
  readonly syncNacks: Sent<SyncNack>[] = []
  readonly proposes: Sent<Propose>[] = []
  readonly handoffs: Sent<LeaderHandoff>[] = []
  /** Kinds whose sends reject (nothing recorded). */
  readonly failing = new Set<FrameKind>()
  /** Kinds whose sends never settle (nothing recorded). */
  readonly hanging = new Set<FrameKind>()
  /** Called after each recorded frame, e.g. to deliver it in a simulated network. */
  onSent: ((kind: FrameKind, target: PeerId, message: unknown) => void) | undefined

  sendHeartbeat(target: PeerId, message: SyncHeartbeat): Promise<void> {
    return this.#send('heartbeat', this.heartbeats, target, message)
  }

  sendSyncRequest(target: PeerId, message: SyncRequest): Promise<void> {
    return this.#send('sync-request', this.syncRequests, target, message)
  }

  sendSyncResponse(target: PeerId, message: SyncResponse): Promise<void> {
    return this.#send('sync-response', this.syncResponses, target, message)
  }

  sendSyncNack(target: PeerId, message: SyncNack): Promise<void> {
    return this.#send('sync-nack', this.syncNacks, target, message)
  }

  sendPropose(target: PeerId, message: Propose): Promise<void> {
    return this.#send('propose', this.proposes, target, message)
  }

  sendLeaderHandoff(target: PeerId, message: LeaderHandoff): Promise<void> {
    return this.#send('leader-handoff', this.handoffs, target, message)
  }

  #send<M>(kind: FrameKind, log: Sent<M>[], target: PeerId, message: M): Promise<void> {
    if (this.hanging.has(kind)) return new Promise(() => undefined)
    if (this.failing.has(kind)) return Promise.reject(new Error(`simulated ${kind} send failure`))
    log.push({ target, message })
    this.onSent?.(kind, target, message)
    return Promise.resolve()
  }
}
