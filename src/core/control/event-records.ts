/**
 * Turning `log-line` and `action-failed` events into ring records: bounded
 * strings, a known level, a stable source label.
 */
import { type ChannelId, MAX_CHANNEL_ID_LENGTH, type PeerId } from '../log/ids.js'
import type { LogLevel } from '../logger.js'
import type { ControlEvent } from './control-events.js'

export interface LogRingRecord {
  readonly seq: number
  readonly tsMs: number
  readonly level: LogLevel
  readonly message: string
  readonly peer: PeerId
  readonly channel?: ChannelId
}

const LEVELS: readonly unknown[] = ['debug', 'info', 'warn', 'error']

export function toLogRecord(
  event: Extract<ControlEvent, { type: 'log-line' }>,
  seq: number,
  peer: PeerId,
  tsMs: number,
  maxLength: number,
): LogRingRecord {
  return {
    seq,
    tsMs,
    level: LEVELS.includes(event.level) ? event.level : ('info' satisfies LogLevel),
    message: String(event.message).slice(0, maxLength),
    peer,
    ...(typeof event.channel === 'string' && event.channel.length <= MAX_CHANNEL_ID_LENGTH
      ? { channel: event.channel }
      : {}),
  }
}

/** `start-runtime:chat`, `dial-peer:12D3…`, `drain-exit`. */
export function failureSource(
  event: Extract<ControlEvent, { type: 'action-failed' }>,
  maxLength: number,
): string {
  const action = event.action?.action
  if (action === undefined) return 'unknown'
  const target = 'channel' in action ? action.channel : 'peer' in action ? action.peer : undefined
  return (target === undefined ? action.kind : `${action.kind}:${target}`).slice(0, maxLength)
}
