/**
 * Beyond the seed: the transport reports that links to some peers closed.
 * A closed link is certain news, unlike silence, so it does not wait for
 * the miss window: the peers' heartbeat state goes at once (they stop
 * counting as healthy for elections and as confirmations of a leader's
 * tail), and a replica whose followed leader is among them ticks now,
 * which moves it to Candidate and runs the election in the same step.
 */
import type { PeerId } from '../log/ids.js'
import { onTick } from './on-tick.js'
import type { RuntimeContext } from './runtime-context.js'

export async function onPeersUnreachable(
  ctx: RuntimeContext,
  peers: readonly PeerId[],
): Promise<void> {
  const leader = ctx.tracker.believedLeader
  let leaderLost = false
  for (const peer of peers) {
    ctx.parked.drop(peer)
    ctx.served.forget(peer)
    if (!ctx.tracker.forget(peer)) continue
    ctx.metrics.add('peersUnreachableTotal')
    if (peer === leader) leaderLost = true
  }
  if (!leaderLost || ctx.coordinator.role !== 'replica') return
  ctx.metrics.add('leaderLinkLostTotal')
  await onTick(ctx)
}
