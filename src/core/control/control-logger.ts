/**
 * Core code never writes to the console: the shell injects a logger (the
 * worker forwards to the page, tests capture lines).
 */
export type LogFields = Readonly<Record<string, unknown>>

export interface ControlLogger {
  debug(message: string, fields?: LogFields): void
  warn(message: string, fields?: LogFields): void
  error(message: string, fields?: LogFields): void
}

export const silentLogger: ControlLogger = {
  debug() {},
  warn() {},
  error() {},
}
