/**
 * The relay CLI's flags, parsed strictly (`node:util` parseArgs): an unknown
 * flag or a malformed number is an error, never silently ignored.
 */
import { parseArgs } from 'node:util'
import type { LogLevel } from './json-log.js'
import { DEFAULT_RELAY_LIMITS, type RelayLimits } from './relay-limits.js'

export const USAGE = `Usage: meshlog-relay [options]

  --host <ip>                  interface to listen on            (default 127.0.0.1)
  --port <n>                   WebSocket port, 0 = any free one  (default 9090)
  --key-file <path>            keep the relay key here so its peer id survives restarts
  --max-reservations <n>       peers holding a circuit reservation (default ${DEFAULT_RELAY_LIMITS.maxReservations})
  --max-connections <n>        open connections                  (default ${DEFAULT_RELAY_LIMITS.maxConnections})
  --relayed-duration-ms <n>    lifetime of one relayed connection (default ${DEFAULT_RELAY_LIMITS.relayedConnectionDurationMs})
  --relayed-data-bytes <n>     bytes one relayed connection may carry (default ${DEFAULT_RELAY_LIMITS.relayedConnectionDataBytes})
  --max-rooms <n>              directory rooms                   (default ${DEFAULT_RELAY_LIMITS.maxRooms})
  --max-members <n>            members per room                  (default ${DEFAULT_RELAY_LIMITS.maxMembersPerRoom})
  --log-level <level>          debug | info | warn | error       (default info)
  --help                       print this and exit
`

export interface CliOptions {
  readonly host: string
  readonly port: number
  readonly keyFile: string | undefined
  readonly limits: Partial<RelayLimits>
  readonly logLevel: LogLevel
}

function integer(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${flag} needs an integer`)
  return value
}

export function parseCli(argv: readonly string[]): CliOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      'key-file': { type: 'string' },
      'max-reservations': { type: 'string' },
      'max-connections': { type: 'string' },
      'relayed-duration-ms': { type: 'string' },
      'relayed-data-bytes': { type: 'string' },
      'max-rooms': { type: 'string' },
      'max-members': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean' },
    },
  })
  if (values.help === true) return 'help'
  const level = values['log-level'] ?? 'info'
  if (!['debug', 'info', 'warn', 'error'].includes(level)) throw new Error('bad --log-level')
  const limits: Record<string, number | bigint> = {}
  const set = (name: keyof RelayLimits, value: number | undefined): void => {
    if (value !== undefined) limits[name] = value
  }
  set('maxReservations', integer('max-reservations', values['max-reservations']))
  set('maxConnections', integer('max-connections', values['max-connections']))
  set('relayedConnectionDurationMs', integer('relayed-duration-ms', values['relayed-duration-ms']))
  set('maxRooms', integer('max-rooms', values['max-rooms']))
  set('maxMembersPerRoom', integer('max-members', values['max-members']))
  const dataBytes = integer('relayed-data-bytes', values['relayed-data-bytes'])
  if (dataBytes !== undefined) limits.relayedConnectionDataBytes = BigInt(dataBytes)
  return {
    host: values.host ?? '127.0.0.1',
    port: integer('port', values.port) ?? 9090,
    keyFile: values['key-file'],
    limits: limits as Partial<RelayLimits>,
    logLevel: level as LogLevel,
  }
}
