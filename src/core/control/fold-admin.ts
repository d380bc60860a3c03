/**
 * Applying an admin command that passed validation, the freeze gate and
 * verification. Only state changes here; dispatch to other subsystems
 * (abort-sync) happens in the loop after the fold, so dispatchers observe
 * post-fold state.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { AdminCommand } from './admin-commands.js'
import type { ControlConfig } from './control-config.js'
import type { ControlState } from './control-state.js'
import { freeze, unfreeze } from './freeze-gate.js'
import { cancelDrain, enterDrain } from './maintenance.js'

/** Whether the command would need a new channel slot when the map is full. */
export function adminNeedsChannelSlot(
  state: ControlState,
  command: AdminCommand,
  config: ControlConfig,
): boolean {
  if (
    command.type !== 'create-channel' &&
    command.type !== 'set-replica-set' &&
    command.type !== 'retire-channel'
  ) {
    return false
  }
  return !state.channels.has(command.channel) && state.channels.size >= config.maxChannels
}

function setReplicaSet(
  state: ControlState,
  channel: ChannelId,
  replicaSet: readonly PeerId[],
): void {
  const existing = state.channels.get(channel)
  const version = state.nextReplicaSetVersion++
  if (existing === undefined) {
    state.channels.set(channel, {
      openedLocally: false,
      replicaSet: [...replicaSet],
      replicaSetSource: 'admin',
      replicaSetVersion: version,
      retired: false,
    })
    return
  }
  existing.replicaSet = [...replicaSet]
  existing.replicaSetSource = 'admin'
  existing.replicaSetVersion = version
  existing.retired = false
}

export function applyAdminCommand(
  state: ControlState,
  command: AdminCommand,
  config: ControlConfig,
  now: number,
): void {
  switch (command.type) {
    case 'create-channel':
    case 'set-replica-set':
      setReplicaSet(state, command.channel, command.replicaSet)
      return
    case 'retire-channel': {
      const existing = state.channels.get(command.channel)
      if (existing !== undefined) existing.retired = true
      // A tombstone, so a later local open cannot bring a retired channel back.
      else
        state.channels.set(command.channel, {
          openedLocally: false,
          replicaSet: [],
          replicaSetSource: 'admin',
          replicaSetVersion: state.nextReplicaSetVersion++,
          retired: true,
        })
      return
    }
    case 'freeze':
      freeze(state, now, command.durationMs)
      return
    case 'unfreeze':
      unfreeze(state)
      return
    case 'drain-peer':
      if (command.peer === state.thisPeer) {
        enterDrain(state, 'admin', now, command.deadlineMs ?? config.defaultDrainDeadlineMs)
      } else if (
        state.remoteDraining.has(command.peer) ||
        state.remoteDraining.size < config.maxPeers
      ) {
        state.remoteDraining.add(command.peer)
      }
      return
    case 'undrain-peer':
      if (command.peer === state.thisPeer) cancelDrain(state)
      else state.remoteDraining.delete(command.peer)
      return
    case 'abort-sync':
      return
  }
}
