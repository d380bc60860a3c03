/**
 * What `status()` and the demo page read: an immutable picture of the loop
 * after a reconcile. Built fresh (no object shared with live state), deeply
 * frozen, then swapped in with one assignment, so a reader holds either the
 * old snapshot or the new one, never a mix. Arrays are sorted by id.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { AdminAuditRecord } from './admin-gate.js'
import type { Chained } from './chained-record-ring.js'
import type { ControlAction, ControlActionKind, PendingAction } from './control-actions.js'
import type { PeerHealth, RuntimeRole } from './control-events.js'
import type { ControlState, MaintenanceState } from './control-state.js'
import { sortedKeys } from './control-state.js'
import type { LogRingRecord } from './event-records.js'
import type { FailureRecord } from './failure-log.js'
import { isFrozen } from './freeze-gate.js'
import type { HashChainCounters } from './hash-chain.js'
import type { PeerInventory, ProbeCounts } from './probes.js'

export interface PeerView {
  readonly peer: PeerId
  readonly connected: boolean
  readonly rttMs?: number
  readonly health?: PeerHealth
  readonly inventory?: PeerInventory
  /** An admin is draining this (other) peer. */
  readonly draining: boolean
  readonly dialAttempts: number
}

export interface ChannelView {
  readonly channel: ChannelId
  readonly desired?: {
    readonly openedLocally: boolean
    readonly replicaSet: readonly PeerId[]
    readonly replicaSetSource: 'local' | 'admin'
    readonly replicaSetVersion: number
    readonly retired: boolean
  }
  readonly runtime?: {
    readonly status: 'starting' | 'running' | 'stopping'
    readonly role: RuntimeRole
    readonly leader?: PeerId
    readonly replicaSetVersion: number
  }
  readonly withdrawn: boolean
  readonly handoff?: { readonly to: PeerId; readonly attempts: number }
  readonly lastSyncAt?: number
}

export interface EmittedAction {
  readonly id: number
  readonly kind: ControlActionKind
  readonly action: ControlAction
  readonly emittedAt: number
  /** Last tick minus emittedAt: 0 for actions from the latest tick. */
  readonly ageMs: number
}

export interface ControlCounters {
  readonly droppedActions: Readonly<Record<string, number>>
  readonly droppedEvents: Readonly<Record<string, number>>
  readonly probeFailures: Readonly<Record<string, number>>
  readonly rejectedProbeSamples: number
  readonly recoveryFailures: number
  readonly admin: {
    readonly accepted: number
    readonly unverified: number
    readonly rejected: number
  }
  readonly auditChain: HashChainCounters
  readonly logChain: HashChainCounters
  readonly probes: ProbeCounts
}

export interface ControlSnapshot {
  readonly runtimeEpochId: string
  readonly thisPeer: PeerId
  readonly reconcileCount: number
  /** Monotonic ms of the tick this snapshot was taken at; absent before the first tick. */
  readonly lastTickAt?: number
  readonly lastTickWallMs?: number
  readonly peers: readonly PeerView[]
  readonly channels: readonly ChannelView[]
  readonly maintenance: MaintenanceState
  readonly freeze: { readonly frozen: boolean; readonly until?: number }
  readonly storage?: {
    readonly usageBytes: number
    readonly quotaBytes: number
    readonly usageRatio: number
  }
  readonly recentlyEmitted: readonly EmittedAction[]
  readonly recentFailures: readonly FailureRecord[]
  readonly adminAudit: readonly Chained<AdminAuditRecord>[]
  readonly logRing: readonly Chained<LogRingRecord>[]
  readonly counters: ControlCounters
}

export interface SnapshotInput {
  readonly state: ControlState
  readonly runtimeEpochId: string
  readonly reconcileCount: number
  readonly lastTickWallMs: number | undefined
  readonly recentlyEmitted: readonly PendingAction[]
  readonly recentFailures: readonly FailureRecord[]
  readonly adminAudit: readonly Chained<AdminAuditRecord>[]
  readonly logRing: readonly Chained<LogRingRecord>[]
  readonly counters: ControlCounters
}

export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  if (ArrayBuffer.isView(value)) return value
  for (const inner of Object.values(value)) deepFreeze(inner)
  return Object.freeze(value)
}

function copyInventory(inventory: PeerInventory): PeerInventory {
  return {
    ...inventory,
    ...(inventory.logBytes === undefined ? {} : { logBytes: { ...inventory.logBytes } }),
  }
}

function peerViews(state: ControlState): PeerView[] {
  const peers = new Set<PeerId>([
    ...state.connected,
    ...state.rtt.keys(),
    ...state.health.keys(),
    ...state.inventory.keys(),
    ...state.remoteDraining,
    ...state.dials.keys(),
  ])
  return [...peers].sort().map((peer) => {
    const rttMs = state.rtt.get(peer)
    const health = state.health.get(peer)
    const inventory = state.inventory.get(peer)
    return {
      peer,
      connected: state.connected.has(peer),
      ...(rttMs === undefined ? {} : { rttMs }),
      ...(health === undefined ? {} : { health }),
      ...(inventory === undefined ? {} : { inventory: copyInventory(inventory) }),
      draining: state.remoteDraining.has(peer),
      dialAttempts: state.dials.get(peer)?.attempts ?? 0,
    }
  })
}

function channelViews(state: ControlState): ChannelView[] {
  const channels = new Set([...sortedKeys(state.channels), ...sortedKeys(state.runtimes)])
  return [...channels].sort().map((channel) => {
    const desired = state.channels.get(channel)
    const runtime = state.runtimes.get(channel)
    const handoff = state.handoffs.get(channel)
    const lastSyncAt = state.lastSyncAt.get(channel)
    return {
      channel,
      ...(desired === undefined
        ? {}
        : { desired: { ...desired, replicaSet: [...desired.replicaSet] } }),
      ...(runtime === undefined
        ? {}
        : {
            runtime: {
              status: runtime.status,
              role: runtime.role,
              ...(runtime.leader === undefined ? {} : { leader: runtime.leader }),
              replicaSetVersion: runtime.replicaSetVersion,
            },
          }),
      withdrawn: state.withdrawn.has(channel),
      ...(handoff === undefined ? {} : { handoff: { to: handoff.to, attempts: handoff.attempts } }),
      ...(lastSyncAt === undefined ? {} : { lastSyncAt }),
    }
  })
}

export function buildSnapshot(input: SnapshotInput): ControlSnapshot {
  const { state } = input
  const anchor = state.lastTick
  const until = state.freeze?.until
  const storage = state.storage
  return deepFreeze({
    runtimeEpochId: input.runtimeEpochId,
    thisPeer: state.thisPeer,
    reconcileCount: input.reconcileCount,
    ...(anchor === undefined ? {} : { lastTickAt: anchor }),
    ...(input.lastTickWallMs === undefined ? {} : { lastTickWallMs: input.lastTickWallMs }),
    peers: peerViews(state),
    channels: channelViews(state),
    maintenance: { ...state.maintenance },
    freeze: {
      frozen: anchor === undefined ? state.freeze !== undefined : isFrozen(state, anchor),
      ...(until === undefined ? {} : { until }),
    },
    ...(storage === undefined
      ? {}
      : { storage: { ...storage, usageRatio: storage.usageBytes / storage.quotaBytes } }),
    recentlyEmitted: input.recentlyEmitted.map((pending) => ({
      id: pending.id,
      kind: pending.action.kind,
      action: pending.action,
      emittedAt: pending.emittedAt,
      ageMs: Math.max(0, (anchor ?? pending.emittedAt) - pending.emittedAt),
    })),
    recentFailures: [...input.recentFailures],
    adminAudit: input.adminAudit,
    logRing: input.logRing,
    counters: input.counters,
  })
}
