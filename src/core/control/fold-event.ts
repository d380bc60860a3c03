/**
 * Folding facts and local intent into state. Pure over its inputs: the same
 * events in the same order from the same state give the same state. Admin
 * commands, log lines and executor failures go through their own paths in
 * the loop (they audit, record or dispatch, not just fold).
 */
import { type ChannelId, channelId, peerId } from '../log/ids.js'
import type { ControlConfig } from './control-config.js'
import type { ControlEvent } from './control-events.js'
import type { ControlState, DesiredChannel } from './control-state.js'
import { cancelDrain, enterDrain } from './maintenance.js'

export type FactEvent = Exclude<
  ControlEvent,
  { type: 'shutdown' | 'admin-command' | 'signed-admin-commit' | 'log-line' | 'action-failed' }
>

/** Why an event changed nothing, for the dropped-events counter. */
export type FoldRejection = 'invalid_event' | 'peer_cap' | 'channel_cap'

const HEALTH_VALUES = new Set(['healthy', 'degraded', 'unreachable'])
const ROLE_VALUES = new Set(['idle', 'candidate', 'replica', 'leader'])

function validId(check: (value: string) => string, value: unknown): boolean {
  try {
    check(value as string)
    return true
  } catch {
    return false
  }
}

function roomFor<K>(
  collection: ReadonlyMap<K, unknown> | ReadonlySet<K>,
  key: K,
  cap: number,
): boolean {
  return collection.has(key) || collection.size < cap
}

function validPeerEvent(event: FactEvent): boolean {
  switch (event.type) {
    case 'peer-connected':
    case 'peer-lost':
      return validId(peerId, event.peer)
    case 'rtt-sample':
      return validId(peerId, event.peer) && Number.isFinite(event.rttMs) && event.rttMs >= 0
    case 'peer-health':
      return validId(peerId, event.peer) && HEALTH_VALUES.has(event.health)
    default:
      return true
  }
}

function validChannelEvent(event: FactEvent, config: ControlConfig): boolean {
  switch (event.type) {
    case 'channel-opened':
      if (!validId(channelId, event.channel)) return false
      if (event.replicaSet === undefined) return true
      return (
        Array.isArray(event.replicaSet) &&
        event.replicaSet.length > 0 &&
        event.replicaSet.length <= config.maxReplicaSetSize &&
        event.replicaSet.every((member) => validId(peerId, member))
      )
    case 'channel-closed':
    case 'runtime-started':
    case 'runtime-stopped':
      return validId(channelId, event.channel)
    case 'role-changed':
      return (
        validId(channelId, event.channel) &&
        ROLE_VALUES.has(event.role) &&
        (event.leader === undefined || validId(peerId, event.leader))
      )
    default:
      return true
  }
}

function isValid(event: FactEvent, config: ControlConfig): boolean {
  if (!validPeerEvent(event) || !validChannelEvent(event, config)) return false
  if (event.type === 'storage-estimate') {
    const { usageBytes, quotaBytes } = event
    return (
      Number.isFinite(usageBytes) &&
      usageBytes >= 0 &&
      Number.isFinite(quotaBytes) &&
      quotaBytes > 0
    )
  }
  if (event.type === 'drain-requested' && event.deadlineMs !== undefined) {
    return Number.isSafeInteger(event.deadlineMs) && event.deadlineMs > 0
  }
  return true
}

function openChannel(
  state: ControlState,
  event: Extract<FactEvent, { type: 'channel-opened' }>,
): void {
  const existing = state.channels.get(event.channel)
  if (existing === undefined) {
    state.channels.set(event.channel, {
      openedLocally: true,
      replicaSet: event.replicaSet === undefined ? [state.thisPeer] : [...event.replicaSet],
      replicaSetSource: 'local',
      replicaSetVersion: state.nextReplicaSetVersion++,
      retired: false,
    })
    return
  }
  existing.openedLocally = true
  if (event.replicaSet !== undefined && existing.replicaSetSource === 'local') {
    existing.replicaSet = [...event.replicaSet]
    existing.replicaSetVersion = state.nextReplicaSetVersion++
    // The node reports the set it runs now: nothing to apply. Applying it
    // later could undo a newer in-place change (a room set reverted to an
    // older one, seen in the demo e2e).
    const runtime = state.runtimes.get(event.channel)
    if (runtime !== undefined) runtime.replicaSetVersion = existing.replicaSetVersion
  }
}

/** A channel nobody here asked for and no admin defined is forgotten, so the map stays bounded. */
function forgetIfUnwanted(state: ControlState, key: ChannelId, channel: DesiredChannel): void {
  if (!channel.openedLocally && channel.replicaSetSource === 'local') state.channels.delete(key)
}

export function foldEvent(
  state: ControlState,
  event: FactEvent,
  config: ControlConfig,
  now: number,
): FoldRejection | undefined {
  if (!isValid(event, config)) return 'invalid_event'
  switch (event.type) {
    case 'peer-connected':
      if (!roomFor(state.connected, event.peer, config.maxPeers)) return 'peer_cap'
      state.connected.add(event.peer)
      state.dials.delete(event.peer)
      return undefined
    case 'peer-lost':
      state.connected.delete(event.peer)
      state.rtt.delete(event.peer)
      return undefined
    case 'rtt-sample':
      if (!roomFor(state.rtt, event.peer, config.maxPeers)) return 'peer_cap'
      state.rtt.set(event.peer, event.rttMs)
      return undefined
    case 'peer-health':
      if (!roomFor(state.health, event.peer, config.maxPeers)) return 'peer_cap'
      state.health.set(event.peer, event.health)
      return undefined
    case 'storage-estimate':
      state.storage = { usageBytes: event.usageBytes, quotaBytes: event.quotaBytes }
      return undefined
    case 'channel-opened':
      if (!roomFor(state.channels, event.channel, config.maxChannels)) return 'channel_cap'
      openChannel(state, event)
      return undefined
    case 'channel-closed': {
      const desired = state.channels.get(event.channel)
      if (desired !== undefined) {
        desired.openedLocally = false
        forgetIfUnwanted(state, event.channel, desired)
      }
      return undefined
    }
    case 'runtime-started': {
      if (!roomFor(state.runtimes, event.channel, config.maxChannels)) return 'channel_cap'
      const runtime = state.runtimes.get(event.channel)
      if (runtime === undefined) {
        // Started with the set its last channel-opened reported (a set of the app's own).
        const desired = state.channels.get(event.channel)
        state.runtimes.set(event.channel, {
          status: 'running',
          role: 'idle',
          leader: undefined,
          replicaSetVersion:
            desired?.replicaSetSource === 'local' && desired.openedLocally
              ? desired.replicaSetVersion
              : 0,
          requestedAt: now,
        })
      } else {
        runtime.status = 'running'
      }
      return undefined
    }
    case 'runtime-stopped':
      // A restarted runtime starts as a full replica; pressure withdraws it again if still needed.
      state.runtimes.delete(event.channel)
      state.handoffs.delete(event.channel)
      state.lastSyncAt.delete(event.channel)
      state.withdrawn.delete(event.channel)
      return undefined
    case 'role-changed': {
      if (!roomFor(state.runtimes, event.channel, config.maxChannels)) return 'channel_cap'
      const runtime = state.runtimes.get(event.channel)
      if (runtime === undefined) {
        // A runtime we did not start (or whose start we forgot) is still a runtime.
        state.runtimes.set(event.channel, {
          status: 'running',
          role: event.role,
          leader: event.leader,
          replicaSetVersion: 0,
          requestedAt: now,
        })
      } else {
        if (runtime.status === 'starting') runtime.status = 'running'
        runtime.role = event.role
        runtime.leader = event.leader
      }
      if (event.role !== 'leader') state.handoffs.delete(event.channel)
      return undefined
    }
    case 'drain-requested':
      enterDrain(state, event.reason, now, event.deadlineMs ?? config.defaultDrainDeadlineMs)
      return undefined
    case 'drain-cancelled':
      cancelDrain(state)
      return undefined
    default:
      return 'invalid_event'
  }
}
