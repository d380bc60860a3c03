/**
 * The role state machine: which `(from, to)` moves exist and which signal
 * drives each. Every role change goes through `checkTransition`, so no
 * combination outside this table can happen.
 *
 *   idle      → replica    capability-selected (placement chose this peer)
 *   replica   → candidate  missed-heartbeats (leader silent for the miss window)
 *   candidate → leader     election-won
 *   candidate → replica    election-lost
 *   replica   → leader     handoff-accepted (the leaving leader named this peer)
 *   candidate → leader     handoff-accepted
 *   leader    → replica    peer-leader-observed (lost the dual-leader tiebreak)
 *   leader    → idle       graceful-relinquish | leader-disk-pressure-withdraw
 *   replica   → idle       disk-pressure-withdraw
 *   candidate → idle       candidate-disk-pressure-withdraw
 *   any       → idle       channel-close (idle → idle too: closing twice is harmless)
 */
import type { ReplicaRole } from './messages.js'
import { InvalidTransitionError, TransitionSignalError } from './replication-errors.js'

export const TRANSITION_SIGNALS = [
  'capability-selected',
  'missed-heartbeats',
  'election-won',
  'election-lost',
  'graceful-relinquish',
  'disk-pressure-withdraw',
  'leader-disk-pressure-withdraw',
  'candidate-disk-pressure-withdraw',
  'channel-close',
  'peer-leader-observed',
  'handoff-accepted',
] as const
export type TransitionSignal = (typeof TRANSITION_SIGNALS)[number]

const ALLOWED: Readonly<Record<string, readonly TransitionSignal[]>> = {
  'idle>replica': ['capability-selected'],
  'replica>candidate': ['missed-heartbeats'],
  'candidate>leader': ['election-won', 'handoff-accepted'],
  'replica>leader': ['handoff-accepted'],
  'candidate>replica': ['election-lost'],
  'leader>replica': ['peer-leader-observed'],
  'leader>idle': ['graceful-relinquish', 'leader-disk-pressure-withdraw', 'channel-close'],
  'replica>idle': ['disk-pressure-withdraw', 'channel-close'],
  'candidate>idle': ['candidate-disk-pressure-withdraw', 'channel-close'],
  'idle>idle': ['channel-close'],
}

/** Throws unless `signal` may move a peer from `from` to `to`. */
export function checkTransition(
  from: ReplicaRole,
  to: ReplicaRole,
  signal: TransitionSignal,
): void {
  const signals = ALLOWED[`${from}>${to}`]
  const details = { from, to, signal }
  if (signals === undefined) {
    throw new InvalidTransitionError(`no transition from ${from} to ${to}`, { details })
  }
  if (!signals.includes(signal)) {
    throw new TransitionSignalError(`${from} → ${to} is not driven by ${signal}`, { details })
  }
}

/** True when `signal` may move a peer from `from` to `to`. */
export function isTransitionAllowed(
  from: ReplicaRole,
  to: ReplicaRole,
  signal: TransitionSignal,
): boolean {
  return ALLOWED[`${from}>${to}`]?.includes(signal) ?? false
}
