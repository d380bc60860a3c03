/**
 * The root of every error meshlog throws. Each subclass has a stable `name`
 * and `code` (never derived from the class name, which minifiers rename), a
 * `cause` when it wraps another failure, and `details`: a small, cloneable
 * summary of the offending input. Errors that cross the worker boundary are
 * re-created on the page from exactly these fields.
 */
export interface MeshlogErrorOptions {
  readonly cause?: unknown
  readonly details?: Readonly<Record<string, unknown>>
}

export class MeshlogError extends Error {
  override readonly name: string = 'MeshlogError'
  readonly code: string = 'ERR_MESHLOG'
  readonly details: Readonly<Record<string, unknown>>

  constructor(message: string, options: MeshlogErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.details = options.details ?? {}
  }
}

/** A caller passed a value that can never be valid (wrong type, out of range). */
export class InvalidArgumentError extends MeshlogError {
  override readonly name = 'InvalidArgumentError'
  override readonly code = 'ERR_INVALID_ARGUMENT'
}

/** The component was used after `close()`/`stop()`, or before it was opened. */
export class ClosedError extends MeshlogError {
  override readonly name = 'ClosedError'
  override readonly code = 'ERR_CLOSED'
}

/** An operation ran past its deadline. */
export class TimeoutError extends MeshlogError {
  override readonly name = 'TimeoutError'
  override readonly code = 'ERR_TIMEOUT'
}

/** An operation was abandoned because its AbortSignal fired. */
export class AbortedError extends MeshlogError {
  override readonly name = 'AbortedError'
  override readonly code = 'ERR_ABORTED'
}

/** Short, cloneable description of a value for error details. */
export function describeValue(value: unknown): string {
  if (value instanceof Uint8Array) return `Uint8Array(${value.byteLength})`
  if (typeof value === 'string')
    return value.length > 64 ? `${JSON.stringify(value.slice(0, 61))}…` : JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  if (value === null || typeof value !== 'object') return String(value)
  if (Array.isArray(value)) return `Array(${value.length})`
  return Object.prototype.toString.call(value)
}
