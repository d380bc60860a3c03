/**
 * seed 001: the peer-authentication gate in front of every inbound
 * handler. Only members of the channel's replica set may drive its state
 * machine; anyone else could, say, forge a SyncResponse that writes
 * attacker-chosen bytes into our log.
 */
import type { PeerInbound } from './inbound.js'
import { advanceIncomingHandoff, onLeaderHandoff } from './leader-handoff.js'
import { onHeartbeat } from './on-heartbeat.js'
import { onPropose } from './on-propose.js'
import { onSyncNack } from './on-sync-nack.js'
import { onSyncRequest } from './on-sync-request.js'
import { onSyncResponse } from './on-sync-response.js'
import type { RuntimeContext } from './runtime-context.js'

export async function onInbound(ctx: RuntimeContext, event: PeerInbound): Promise<void> {
  if (!ctx.members.has(event.from)) {
    ctx.drops.record('not-in-replica-set')
    return
  }
  switch (event.kind) {
    case 'heartbeat':
      return onHeartbeat(ctx, event.from, event.message)
    case 'sync-request':
      return onSyncRequest(ctx, event.from, event.message)
    case 'sync-response':
      await onSyncResponse(ctx, event.from, event.message)
      // A successor catching up to a hand-off takes over once it is there, or pulls on.
      return advanceIncomingHandoff(ctx)
    case 'sync-nack':
      return onSyncNack(ctx, event.from, event.message)
    case 'leader-handoff':
      return onLeaderHandoff(ctx, event.from, event.message)
    case 'propose':
      return onPropose(ctx, event.from, event.message)
  }
}
