/**
 * A checker found the replication runtime breaking one of DESIGN.md's
 * invariants (or the simulation itself failed). The label names the check,
 * so a report reads "invariant 2 (prefix) at t=1234: ...".
 */
import { MeshlogError } from '../errors.js'

export const INVARIANT_LABELS = {
  'acked-lost': 1,
  'acked-once': 1,
  'log-validity': 2,
  prefix: 2,
  'dual-leader': 2,
  convergence: 3,
  bounds: 4,
  'append-settles': 4,
  'timer-leak': 4,
  inbound: 5,
  'sim-error': 0,
} as const
export type InvariantLabel = keyof typeof INVARIANT_LABELS

export class InvariantViolation extends MeshlogError {
  override readonly name = 'InvariantViolation'
  override readonly code = 'ERR_INVARIANT_VIOLATION'
  readonly invariant: InvariantLabel
  readonly at: number

  constructor(
    invariant: InvariantLabel,
    at: number,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(`invariant ${INVARIANT_LABELS[invariant]} (${invariant}) at t=${at}: ${message}`, {
      details: { invariant, at, ...details },
    })
    this.invariant = invariant
    this.at = at
  }
}
