/**
 * Choosing a peer to hand leadership to or to sync with: connected, not
 * being drained, not known unreachable; healthiest first, then nearest
 * (RTT), then by id so the choice is deterministic.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { PeerHealth } from './control-events.js'
import type { ControlState } from './control-state.js'

function healthRank(health: PeerHealth | undefined): number {
  if (health === 'healthy') return 0
  if (health === undefined) return 1
  return 2
}

export function rankPeers(state: ControlState, candidates: readonly PeerId[]): PeerId[] {
  return candidates
    .filter(
      (peer) =>
        peer !== state.thisPeer &&
        state.connected.has(peer) &&
        !state.remoteDraining.has(peer) &&
        state.health.get(peer) !== 'unreachable',
    )
    .sort((a, b) => {
      const byHealth = healthRank(state.health.get(a)) - healthRank(state.health.get(b))
      if (byHealth !== 0) return byHealth
      const byRtt =
        (state.rtt.get(a) ?? Number.POSITIVE_INFINITY) -
        (state.rtt.get(b) ?? Number.POSITIVE_INFINITY)
      if (byRtt !== 0 && !Number.isNaN(byRtt)) return byRtt
      return a < b ? -1 : a > b ? 1 : 0
    })
}

/**
 * The replica to hand `channel`'s leadership to. A retry rotates to the next
 * candidate, so one peer that keeps refusing cannot stall the hand-off.
 */
export function pickSuccessor(
  state: ControlState,
  channel: ChannelId,
  attempt: number,
): PeerId | undefined {
  const ranked = rankPeers(state, state.channels.get(channel)?.replicaSet ?? [])
  return ranked[attempt % Math.max(1, ranked.length)]
}

/** The leader when it is reachable, otherwise the best other replica. */
export function pickSyncPartner(state: ControlState, channel: ChannelId): PeerId | undefined {
  const leader = state.runtimes.get(channel)?.leader
  if (leader !== undefined && rankPeers(state, [leader]).length === 1) return leader
  return rankPeers(state, state.channels.get(channel)?.replicaSet ?? [])[0]
}

/** Channels this peer currently leads, sorted. */
export function leadingChannels(state: ControlState): ChannelId[] {
  const leading: ChannelId[] = []
  for (const [channel, runtime] of state.runtimes) {
    if (runtime.role === 'leader' && runtime.status !== 'stopping') leading.push(channel)
  }
  return leading.sort()
}
