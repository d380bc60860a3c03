/**
 * The loop's append-only outputs, apart from fold state (seed 002 keeps them
 * on the loop for that reason): the admin audit ring and the log ring, each
 * hash-chained to an optional sink, and the failure ring.
 */
import type { EntryHasher } from '../log/entry-hasher.js'
import type { PeerId } from '../log/ids.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../time/clock.js'
import type { AdminAuditRecord } from './admin-gate.js'
import { ChainedRecordRing } from './chained-record-ring.js'
import type { ControlConfig } from './control-config.js'
import type { ControlEvent } from './control-events.js'
import type { LogRingRecord } from './event-records.js'
import { failureSource, toLogRecord } from './event-records.js'
import { FailureLog } from './failure-log.js'
import { type ChainSink, HashChainWriter } from './hash-chain.js'

export interface ControlRecordsOptions {
  readonly thisPeer: PeerId
  readonly config: ControlConfig
  readonly clock: Clock
  readonly logger: Logger
  readonly hasher: EntryHasher
  readonly auditSink?: ChainSink<AdminAuditRecord> | undefined
  readonly auditGenesis?: Uint8Array | undefined
  readonly logSink?: ChainSink<LogRingRecord> | undefined
}

export class ControlRecords {
  readonly audit: ChainedRecordRing<AdminAuditRecord>
  readonly logs: ChainedRecordRing<LogRingRecord>
  readonly failures: FailureLog
  readonly #options: ControlRecordsOptions

  constructor(options: ControlRecordsOptions) {
    this.#options = options
    const { config } = options
    const chain = <R>(domain: string, sink: ChainSink<R> | undefined, genesis?: Uint8Array) =>
      new HashChainWriter<R>({
        domain,
        hasher: options.hasher,
        clock: options.clock,
        logger: options.logger,
        backlogCapacity: config.chainBacklogCapacity,
        appendTimeoutMs: config.chainAppendTimeoutMs,
        sink,
        ...(genesis === undefined ? {} : { genesis }),
      })
    this.audit = new ChainedRecordRing(
      config.auditRingCapacity,
      chain('meshlog/admin-audit/v1', options.auditSink, options.auditGenesis),
    )
    this.logs = new ChainedRecordRing(
      config.logRingCapacity,
      chain('meshlog/log/v1', options.logSink),
    )
    this.failures = new FailureLog(config.failureRingCapacity)
  }

  recordLogLine(event: Extract<ControlEvent, { type: 'log-line' }>): void {
    const { thisPeer, clock, config } = this.#options
    this.logs.append((seq) =>
      toLogRecord(event, seq, thisPeer, clock.wallNow(), config.maxMessageLength),
    )
  }

  recordActionFailure(event: Extract<ControlEvent, { type: 'action-failed' }>): void {
    const { clock, config } = this.#options
    this.failures.record(
      failureSource(event, config.maxMessageLength),
      String(event.reason).slice(0, config.maxMessageLength),
      clock.wallNow(),
    )
  }

  /** Retries pending chain appends (every tick). */
  flushChains(): void {
    this.audit.chain.flush()
    this.logs.chain.flush()
  }

  /** Resolves once no chain append is in flight, or after `ms`. */
  settled(ms: number): Promise<void> {
    return Promise.all([this.audit.chain.settled(ms), this.logs.chain.settled(ms)]).then(() => {})
  }
}
