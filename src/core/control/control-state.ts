/**
 * The loop's folded view: what is (peers, runtimes, storage), what should be
 * (channels and their replica sets, freeze, this peer's maintenance), and the
 * bookkeeping reconcile needs to avoid repeating itself (dial backoff,
 * hand-offs in flight, last sync). Plain data, owned by one loop, mutated
 * only by the fold functions and by `recordQueuedAction`.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { DrainReason } from './control-actions.js'
import type { PeerHealth, RuntimeRole } from './control-events.js'
import type { PeerInventory } from './probes.js'

export interface RuntimeState {
  /** `starting`/`stopping` until the runtime confirms (runtime-started / runtime-stopped). */
  status: 'starting' | 'running' | 'stopping'
  role: RuntimeRole
  leader: PeerId | undefined
  /** The replica-set version last sent to this runtime. */
  replicaSetVersion: number
  /** When the last start/stop for it was queued (monotonic ms). */
  requestedAt: number
}

export interface DesiredChannel {
  openedLocally: boolean
  replicaSet: readonly PeerId[]
  /** An admin-set replica set wins over one given when the app opened the channel. */
  replicaSetSource: 'local' | 'admin'
  replicaSetVersion: number
  retired: boolean
}

export type MaintenanceState =
  | { readonly phase: 'active' }
  | {
      readonly phase: 'draining'
      readonly reason: DrainReason
      readonly startedAt: number
      readonly deadline: number
      readonly announced: boolean
    }
  | { readonly phase: 'drained'; readonly reason: DrainReason; readonly at: number }
  | {
      readonly phase: 'drain-failed'
      readonly reason: DrainReason
      readonly at: number
      readonly stillLeading: readonly ChannelId[]
    }
  /** Cancelled after drain-start went out: drain-exit is owed. */
  | { readonly phase: 'resuming'; readonly reason: DrainReason }

export interface StorageEstimate {
  readonly usageBytes: number
  readonly quotaBytes: number
}

export interface DialState {
  attempts: number
  nextAt: number
}

export interface HandoffState {
  to: PeerId
  attempts: number
  firstRequestedAt: number
  requestedAt: number
}

export interface ControlState {
  readonly thisPeer: PeerId
  /** Monotonic time of the last tick served; every per-tick stamp is anchored on it. */
  lastTick: number | undefined
  readonly connected: Set<PeerId>
  readonly rtt: Map<PeerId, number>
  readonly health: Map<PeerId, PeerHealth>
  /** Probe-exclusive (no event writes it), so the inventory GC may prune it. */
  readonly inventory: Map<PeerId, PeerInventory>
  storage: StorageEstimate | undefined
  readonly runtimes: Map<ChannelId, RuntimeState>
  /** Other peers an admin is draining: never picked as successor or sync partner. */
  readonly remoteDraining: Set<PeerId>
  readonly channels: Map<ChannelId, DesiredChannel>
  nextReplicaSetVersion: number
  /** `until` undefined: frozen until unfrozen. */
  freeze: { readonly until: number | undefined } | undefined
  maintenance: MaintenanceState
  readonly dials: Map<PeerId, DialState>
  readonly handoffs: Map<ChannelId, HandoffState>
  readonly lastSyncAt: Map<ChannelId, number>
  readonly withdrawn: Set<ChannelId>
}

export function createControlState(thisPeer: PeerId): ControlState {
  return {
    thisPeer,
    lastTick: undefined,
    connected: new Set(),
    rtt: new Map(),
    health: new Map(),
    inventory: new Map(),
    storage: undefined,
    runtimes: new Map(),
    remoteDraining: new Set(),
    channels: new Map(),
    nextReplicaSetVersion: 1,
    freeze: undefined,
    maintenance: { phase: 'active' },
    dials: new Map(),
    handoffs: new Map(),
    lastSyncAt: new Map(),
    withdrawn: new Set(),
  }
}

/** Whether this peer should run a runtime for `desired` (before storage withdrawal). */
export function wantsRuntime(state: ControlState, desired: DesiredChannel | undefined): boolean {
  if (desired === undefined || desired.retired) return false
  return desired.openedLocally || desired.replicaSet.includes(state.thisPeer)
}

/** Sorted keys, so every pass over state visits it in the same order. */
export function sortedKeys<K extends string>(map: ReadonlyMap<K, unknown> | ReadonlySet<K>): K[] {
  return [...map.keys()].sort()
}
