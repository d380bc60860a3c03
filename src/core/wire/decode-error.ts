import { MeshlogError } from '../errors.js'

/** Why a frame was refused; stable labels for counters. */
export const DECODE_FAILURES = [
  'empty',
  'too-large',
  'unknown-version',
  'unknown-kind',
  'truncated',
  'trailing-bytes',
  'bad-varint',
  'bad-string',
  'bad-id',
  'bad-enum',
  'over-limit',
  'inconsistent',
] as const
export type DecodeFailure = (typeof DECODE_FAILURES)[number]

/** A frame from the network is malformed. The only error `decodeFrame` throws. */
export class DecodeError extends MeshlogError {
  override readonly name = 'DecodeError'
  override readonly code = 'ERR_DECODE'
  readonly failure: DecodeFailure

  constructor(failure: DecodeFailure, message: string, details: Record<string, unknown> = {}) {
    super(message, { details: { failure, ...details } })
    this.failure = failure
  }
}
