/**
 * Every limit the loop enforces, with defaults. One place to read what is
 * bounded and by how much.
 */
import { InvalidArgumentError } from '../errors.js'

// seed 002: at most 32 events are drained after each tick, so a burst cannot starve the tick
export const EVENTS_PER_TICK = 32

export interface ControlConfig {
  /** Reconcile cadence; a late tick delays the next one rather than bursting. */
  readonly tickIntervalMs: number
  readonly eventQueueCapacity: number
  /** Publishers allowed to wait for room at once; more get QueueFullError at once. */
  readonly maxPublishWaiters: number
  readonly actionQueueCapacity: number
  readonly auditRingCapacity: number
  readonly logRingCapacity: number
  readonly failureRingCapacity: number
  /** Chain links waiting for their sink; past this a record is kept in the ring unchained. */
  readonly chainBacklogCapacity: number
  readonly chainAppendTimeoutMs: number
  readonly verifyTimeoutMs: number
  readonly stopDeadlineMs: number
  /** The `snapshot` event fires at most this often (the latest snapshot wins). */
  readonly snapshotEventMinIntervalMs: number
  readonly defaultDrainDeadlineMs: number
  readonly handoffRetryMs: number
  /** A leader leaving the replica set gets this long to hand off before it is stopped anyway. */
  readonly handoffTimeoutMs: number
  /** An unconfirmed start/stop is emitted again after this long. */
  readonly actionRetryMs: number
  readonly dialBackoffBaseMs: number
  readonly dialBackoffMaxMs: number
  readonly maxDialsPerTick: number
  readonly syncIntervalMs: number
  readonly maxSyncStartsPerTick: number
  /** usage/quota at or above which one replica channel is withdrawn per tick. */
  readonly storageHighWatermark: number
  /** usage/quota below which withdrawn channels rejoin. */
  readonly storageLowWatermark: number
  readonly maxPeers: number
  readonly maxChannels: number
  readonly maxReplicaSetSize: number
  readonly maxAdminDurationMs: number
  readonly maxRecoveryEventsPerTick: number
  readonly maxMessageLength: number
  /** Apply unsigned `admin-command` events (outcome `unverified`); off in production. */
  readonly trustLocalAdmin: boolean
}

export const DEFAULT_CONTROL_CONFIG: ControlConfig = Object.freeze({
  tickIntervalMs: 1_000,
  eventQueueCapacity: 1_024,
  maxPublishWaiters: 1_024,
  actionQueueCapacity: 256,
  auditRingCapacity: 256,
  logRingCapacity: 512,
  failureRingCapacity: 128,
  chainBacklogCapacity: 1_024,
  chainAppendTimeoutMs: 5_000,
  verifyTimeoutMs: 2_000,
  stopDeadlineMs: 2_000,
  snapshotEventMinIntervalMs: 250,
  defaultDrainDeadlineMs: 10_000,
  handoffRetryMs: 1_000,
  handoffTimeoutMs: 10_000,
  actionRetryMs: 10_000,
  dialBackoffBaseMs: 1_000,
  dialBackoffMaxMs: 60_000,
  maxDialsPerTick: 8,
  syncIntervalMs: 30_000,
  maxSyncStartsPerTick: 4,
  storageHighWatermark: 0.9,
  storageLowWatermark: 0.8,
  maxPeers: 1_024,
  maxChannels: 4_096,
  maxReplicaSetSize: 32,
  maxAdminDurationMs: 7 * 24 * 3_600_000,
  maxRecoveryEventsPerTick: 32,
  maxMessageLength: 1_024,
  trustLocalAdmin: false,
})

export function resolveControlConfig(overrides: Partial<ControlConfig> = {}): ControlConfig {
  const config: ControlConfig = { ...DEFAULT_CONTROL_CONFIG, ...overrides }
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === 'boolean') continue
    const ratio = key === 'storageHighWatermark' || key === 'storageLowWatermark'
    const valid = ratio
      ? typeof value === 'number' && value > 0 && value <= 1
      : Number.isSafeInteger(value) && (value as number) >= 1
    if (!valid) {
      throw new InvalidArgumentError(`control config ${key} is out of range`, {
        details: { key, value: String(value) },
      })
    }
  }
  if (config.storageLowWatermark >= config.storageHighWatermark) {
    throw new InvalidArgumentError('storageLowWatermark must be below storageHighWatermark', {
      details: { low: config.storageLowWatermark, high: config.storageHighWatermark },
    })
  }
  return Object.freeze(config)
}
