/**
 * Health, in two layers as in seed 003: the running sync service reports its
 * own status, and the manager maps its lifecycle state plus that status to
 * healthy / degraded / unhealthy (or the transitional states).
 */
import type { SyncSessionActorState } from './session-actor.js'
import type { SyncManagerState } from './sync-manager-state.js'

export type SyncServiceStatus = 'healthy' | 'degraded' | 'starting' | 'stopping' | 'unhealthy'

export interface SyncServiceHealth {
  readonly status: SyncServiceStatus
  /** Sessions holding a concurrency slot. */
  readonly activeSessions: number
  /** Sessions waiting for a slot. */
  readonly waitingSessions: number
  readonly trackedPeers: number
  readonly availablePeers: number
  /** Clock time of the last successful session, if any. */
  readonly lastSyncAt: number | undefined
  readonly uptimeMs: number
}

export type SyncManagerHealth =
  | { readonly status: 'healthy' }
  | { readonly status: 'degraded'; readonly reason: string }
  | { readonly status: 'unhealthy'; readonly reason: string }
  | { readonly status: 'stopped' | 'starting' | 'stopping' }

/**
 * The service's own status, from its session actor. Not in the seed (whose
 * service never reports degraded): a running actor whose sessions queue for
 * a slot is saturated, which is what degraded means here.
 */
export function syncServiceStatus(
  actor: SyncSessionActorState,
  waitingSessions: number,
): SyncServiceStatus {
  switch (actor) {
    case 'idle':
      return 'starting'
    case 'running':
      return waitingSessions > 0 ? 'degraded' : 'healthy'
    case 'stopping':
      return 'stopping'
    case 'stopped':
      return 'unhealthy'
  }
}

/** seed 003: the manager's health from its state and its service's health. */
export function syncManagerHealth(
  state: SyncManagerState,
  service: SyncServiceHealth | undefined,
): SyncManagerHealth {
  switch (state) {
    case 'stopped':
    case 'starting':
    case 'stopping':
      return { status: state }
    case 'failed':
      return { status: 'unhealthy', reason: 'service entered failed lifecycle state' }
    case 'running':
      if (service === undefined) {
        return { status: 'unhealthy', reason: 'underlying service not available' }
      }
      switch (service.status) {
        case 'healthy':
          return { status: 'healthy' }
        case 'degraded':
        case 'starting':
          return {
            status: 'degraded',
            reason: `status=${service.status}, activeSessions=${service.activeSessions}`,
          }
        case 'unhealthy':
        case 'stopping':
          return { status: 'unhealthy', reason: `status=${service.status}` }
      }
  }
}
