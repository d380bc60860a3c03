/**
 * The sync side of `status()`: the sync manager's lifecycle, health and
 * metrics (the session actor's counters among them), the session
 * protocol's counters and the Merkle verifier's tallies, as plain data.
 */
import type { SyncNode } from '../core/node/sync-node.js'
import type { SyncProtocolCounters } from '../core/sync/protocol/protocol-metrics.js'
import type { SyncManagerHealth } from '../core/sync/sync-health.js'
import type { SyncManagerState } from '../core/sync/sync-manager-state.js'
import type { SyncServiceMetrics } from '../core/sync/sync-service.js'

export interface SyncStatus {
  readonly state: SyncManagerState
  readonly health: SyncManagerHealth
  /** Undefined while the manager is not running. */
  readonly metrics: SyncServiceMetrics | undefined
  readonly protocol: SyncProtocolCounters
  readonly activeSessions: { readonly initiators: number; readonly responders: number }
  readonly verification: ReturnType<SyncNode['verifier']['stats']>
}

export function syncStatus(node: SyncNode): SyncStatus {
  return {
    state: node.manager.state,
    health: node.manager.health(),
    metrics: node.manager.metrics(),
    protocol: node.runner.stats(),
    activeSessions: node.runner.activeSessions,
    verification: node.verifier.stats(),
  }
}
