/**
 * The sync manager's lifecycle (seed 003): stopped → starting → running →
 * stopping → stopped, with `failed` reachable from starting and stopping and
 * left again by start or stop. Transitions outside this table are bugs.
 */
import { LifecycleTransitionError } from './sync-errors.js'

export type SyncManagerState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed'

const ALLOWED: Readonly<Record<SyncManagerState, readonly SyncManagerState[]>> = {
  stopped: ['starting'],
  starting: ['running', 'failed'],
  running: ['stopping'],
  stopping: ['stopped', 'failed'],
  failed: ['starting', 'stopping'],
}

export function checkTransition(from: SyncManagerState, to: SyncManagerState): void {
  if (!ALLOWED[from].includes(to)) {
    throw new LifecycleTransitionError(`sync manager cannot go from ${from} to ${to}`, {
      details: { from, to },
    })
  }
}
