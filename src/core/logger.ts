/**
 * Logging enters core through this interface, never `console`: the worker
 * shell forwards records to the page, tests record them, the simulator drops
 * them. Fields are small, cloneable values (numbers, strings, ids).
 */
export type LogFields = Readonly<Record<string, unknown>>

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export interface Logger {
  debug(message: string, fields?: LogFields): void
  info(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

/** Discards everything. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}

export interface LogRecord {
  readonly level: LogLevel
  readonly message: string
  readonly fields: LogFields
}

/** Keeps the last `capacity` records in memory: for tests and the simulator. */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[] = []
  readonly #capacity: number

  constructor(capacity = 1000) {
    this.#capacity = capacity
  }

  debug(message: string, fields: LogFields = {}): void {
    this.#push({ level: 'debug', message, fields })
  }

  info(message: string, fields: LogFields = {}): void {
    this.#push({ level: 'info', message, fields })
  }

  warn(message: string, fields: LogFields = {}): void {
    this.#push({ level: 'warn', message, fields })
  }

  error(message: string, fields: LogFields = {}): void {
    this.#push({ level: 'error', message, fields })
  }

  /** Records whose message is exactly `message`. */
  withMessage(message: string): LogRecord[] {
    return this.records.filter((r) => r.message === message)
  }

  #push(record: LogRecord): void {
    if (this.records.length >= this.#capacity) this.records.shift()
    this.records.push(record)
  }
}
