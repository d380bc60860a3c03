/**
 * What a peer does when its store refuses an append for lack of space (the
 * seed's AppendFailed, our StorageFullError). Under `withdraw` (the
 * default) it gives up its role so the other replicas carry the channel;
 * under `evict-oldest` it sweeps retention, keeps its role and lets the
 * next chunk retry (a no-op without retention caps, so pair it with them).
 */
import type { ChannelId } from '../log/ids.js'
import type { LogStore, SweepResult } from '../log/log-store.js'
import type { ReplicationCoordinator } from './coordinator.js'
import type { ReplicaRole } from './messages.js'
import { AnnouncementFailedError } from './replication-errors.js'
import type { TransitionSignal } from './transition-rules.js'

export type DiskPressurePolicy = 'withdraw' | 'evict-oldest'

export type DiskPressureOutcome =
  | { readonly action: 'withdrew'; readonly signal: TransitionSignal }
  | {
      readonly action: 'withdraw-failed'
      readonly signal: TransitionSignal
      readonly cause: unknown
    }
  | { readonly action: 'swept'; readonly sweep: SweepResult }

/**
 * seed 001: the withdraw signal valid for the role we hold now, so a role
 * flip between the failed append and this call cannot turn the withdraw
 * into a rejected transition (and keep us writing through pressure).
 */
export function withdrawSignal(role: ReplicaRole): TransitionSignal {
  switch (role) {
    case 'replica':
      return 'disk-pressure-withdraw'
    case 'leader':
      return 'leader-disk-pressure-withdraw'
    case 'candidate':
      return 'candidate-disk-pressure-withdraw'
    case 'idle':
      // Already withdrawn: the idempotent close, so a benign race is a no-op.
      return 'channel-close'
  }
}

export async function handleDiskPressure(
  coordinator: ReplicationCoordinator,
  store: LogStore,
  channel: ChannelId,
  policy: DiskPressurePolicy,
): Promise<DiskPressureOutcome> {
  coordinator.metrics.add('underCapacityTotal')
  if (policy === 'evict-oldest') {
    return { action: 'swept', sweep: await store.sweepRetention(channel) }
  }
  const signal = withdrawSignal(coordinator.role)
  try {
    await coordinator.transitionTo('idle', signal)
    return { action: 'withdrew', signal }
  } catch (cause) {
    // The role did change; only the withdraw announcement is missing.
    if (cause instanceof AnnouncementFailedError) return { action: 'withdrew', signal }
    return { action: 'withdraw-failed', signal, cause }
  }
}
