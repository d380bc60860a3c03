/**
 * Sync manager configuration (seed 003) with the seed's three profiles:
 * defaults, `forTesting()` (short intervals) and `manualOnly()` (no
 * periodic sync). Durations are clock milliseconds.
 */
import { describeValue, InvalidArgumentError } from '../errors.js'
import type { PeerId } from '../log/ids.js'

export interface SyncManagerConfig {
  /** Run a sync round on every interval. */
  readonly autoSyncEnabled: boolean
  readonly autoSyncIntervalMs: number
  /** Channels synced at once in a round, and peers picked per automatic round. */
  readonly maxConcurrentSyncs: number
  /** Peers known before any discovery. */
  readonly initialPeers: readonly PeerId[]
  /** Periodically prune peer states. */
  readonly maintenanceEnabled: boolean
  readonly maintenanceIntervalMs: number
  /** A peer state not refreshed for this long is pruned. */
  readonly peerStateTtlMs: number
  /** At most this many peer states are kept (least recently seen pruned first). */
  readonly maxPeerStates: number
  /** A peer whose proof or chunk failed verification is avoided this long. */
  readonly misbehaviourCooldownMs: number
}

const SECOND = 1_000
const HOUR = 3_600 * SECOND

function defaults(): SyncManagerConfig {
  return {
    autoSyncEnabled: true,
    autoSyncIntervalMs: 60 * SECOND,
    maxConcurrentSyncs: 5,
    initialPeers: [],
    maintenanceEnabled: true,
    maintenanceIntervalMs: 60 * SECOND,
    peerStateTtlMs: 6 * HOUR,
    maxPeerStates: 1024,
    misbehaviourCooldownMs: 10 * 60 * SECOND,
  }
}

function checkPositiveInteger(config: SyncManagerConfig, key: keyof SyncManagerConfig): void {
  const value = config[key]
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError(`SyncManagerConfig.${key} must be a positive integer`, {
      details: { [key]: describeValue(value) },
    })
  }
}

export const SyncManagerConfig = {
  defaults,

  /** Short intervals and small caps for tests. */
  forTesting(): SyncManagerConfig {
    return {
      ...defaults(),
      autoSyncIntervalMs: 5 * SECOND,
      maxConcurrentSyncs: 3,
      maintenanceIntervalMs: 5 * SECOND,
      peerStateTtlMs: 60 * SECOND,
      maxPeerStates: 128,
      misbehaviourCooldownMs: 60 * SECOND,
    }
  },

  /** Syncs only when asked (`syncWithPeers`, `requestSync`). */
  manualOnly(): SyncManagerConfig {
    return { ...defaults(), autoSyncEnabled: false }
  },

  /** Returns `config` when every limit is a positive integer; throws otherwise. */
  validate(config: SyncManagerConfig): SyncManagerConfig {
    for (const key of [
      'autoSyncIntervalMs',
      'maxConcurrentSyncs',
      'maintenanceIntervalMs',
      'peerStateTtlMs',
      'maxPeerStates',
      'misbehaviourCooldownMs',
    ] as const) {
      checkPositiveInteger(config, key)
    }
    return config
  },
}
