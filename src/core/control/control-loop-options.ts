/** How a ControlLoop is built, what it emits, and how it ends. */
import type { EntryHasher } from '../log/entry-hasher.js'
import type { PeerId } from '../log/ids.js'
import type { Logger } from '../logger.js'
import type { Rng } from '../random/rng.js'
import type { Clock } from '../time/clock.js'
import type { AdminAuditRecord, SyncAborter } from './admin-gate.js'
import type { AdminVerifier } from './admin-verifier.js'
import type { ControlConfig } from './control-config.js'
import type { ControlSnapshot } from './control-snapshot.js'
import type { LogRingRecord } from './event-records.js'
import type { ChainSink } from './hash-chain.js'
import type { ProbeRegistry } from './probes.js'
import type { RecoveryRegistry } from './recovery-registry.js'

export interface ControlLoopOptions {
  readonly thisPeer: PeerId
  readonly clock: Clock
  /** Draws the runtime epoch id. */
  readonly rng: Rng
  /** BLAKE3 for the audit and log chains (`await loadEntryHasher()`). */
  readonly hasher: EntryHasher
  readonly config?: Partial<ControlConfig>
  readonly logger?: Logger
  /** Without one, every signed admin commit is rejected (`no-verifier`). */
  readonly adminVerifier?: AdminVerifier
  readonly syncAborter?: SyncAborter
  readonly auditSink?: ChainSink<AdminAuditRecord>
  /** Hash the audit chain continues from (a persisted chain's tail); zeros by default. */
  readonly auditGenesis?: Uint8Array
  readonly logSink?: ChainSink<LogRingRecord>
  /** Share one to install probes after construction. */
  readonly probes?: ProbeRegistry
  readonly recovery?: RecoveryRegistry
}

export type ControlLoopExitReason = 'shutdown-event' | 'handles-released' | 'stopped'

export interface ControlLoopExit {
  readonly reason: ControlLoopExitReason
  readonly reconcileCount: number
}

export type ControlLoopEvents = {
  /** The latest snapshot, at most once per `snapshotEventMinIntervalMs`. */
  snapshot: ControlSnapshot
  exit: ControlLoopExit
}

/** A read-only capability to hand to status pages. */
export interface SnapshotReader {
  read(): ControlSnapshot
}
