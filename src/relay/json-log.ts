/**
 * Structured logs: one JSON object per line (`{"time","level","event",…}`),
 * so a relay's output can be piped into any log collector and grepped by
 * `event`. Bigints (relay data limits) are written as decimal strings.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export type LogFields = Readonly<Record<string, unknown>>

export type JsonLog = (level: LogLevel, event: string, fields?: LogFields) => void

const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3 }

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Error) return { name: value.name, message: value.message }
  return value
}

export function jsonLineLog(
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  minLevel: LogLevel = 'info',
  now: () => Date = () => new Date(),
): JsonLog {
  return (level, event, fields = {}) => {
    if (LEVEL_ORDER[level] < LEVEL_ORDER[minLevel]) return
    write(JSON.stringify({ time: now().toISOString(), level, event, ...fields }, replacer))
  }
}

export const silentLog: JsonLog = () => {}
