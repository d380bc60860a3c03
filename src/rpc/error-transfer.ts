/**
 * Errors cross the worker boundary as the same classes. Comlink's default
 * 'throw' handler turns every error into a plain Error; this one carries a
 * MeshlogError's name, code, message, details and cause, and the receiving
 * side re-creates an instance of the registered class with that name, so
 * `instanceof StorageFullError` and `error.code` work on the page.
 */
import { type TransferHandler, transferHandlers } from 'comlink'
import { MeshlogError } from '../core/errors.js'

export type ErrorClass = new (...args: never[]) => MeshlogError

interface SerializedError {
  readonly meshlog: boolean
  readonly name: string
  readonly message: string
  readonly stack?: string
  readonly code?: string
  readonly details?: Readonly<Record<string, unknown>>
  /** A subclass's own plain fields (e.g. `peer`, `role`, `failure`). */
  readonly fields?: Readonly<Record<string, string | number | boolean>>
  readonly cause?: SerializedError | undefined
}

type Thrown = { value: unknown }
type SerializedThrow =
  | { isError: true; value: SerializedError }
  | { isError: false; value: unknown }

const MAX_CAUSE_DEPTH = 4

export function serializeError(error: unknown, depth = 0): SerializedError | undefined {
  if (!(error instanceof Error)) return undefined
  const cause = depth < MAX_CAUSE_DEPTH ? serializeError(error.cause, depth + 1) : undefined
  const base = {
    name: error.name,
    message: error.message,
    ...(error.stack === undefined ? {} : { stack: error.stack }),
    ...(cause === undefined ? {} : { cause }),
  }
  if (error instanceof MeshlogError) {
    const fields: Record<string, string | number | boolean> = {}
    for (const [key, value] of Object.entries(error)) {
      if (key === 'code' || key === 'details' || key === 'name') continue
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        fields[key] = value
      }
    }
    // details are cloneable summaries by construction; clone defensively anyway.
    return {
      ...base,
      meshlog: true,
      code: error.code,
      details: structuredClone(error.details),
      fields,
    }
  }
  return { ...base, meshlog: false }
}

export function deserializeError(
  serialized: SerializedError,
  classes: ReadonlyMap<string, ErrorClass>,
): Error {
  const cause =
    serialized.cause === undefined ? undefined : deserializeError(serialized.cause, classes)
  const cls = serialized.meshlog ? classes.get(serialized.name) : undefined
  const error: Error = Object.create((cls ?? (serialized.meshlog ? MeshlogError : Error)).prototype)
  Object.defineProperties(error, {
    name: { value: serialized.name, writable: true, configurable: true },
    message: { value: serialized.message, writable: true, configurable: true },
    stack: { value: serialized.stack, writable: true, configurable: true },
  })
  if (cause !== undefined)
    Object.defineProperty(error, 'cause', { value: cause, writable: true, configurable: true })
  if (serialized.meshlog) {
    Object.defineProperties(error, {
      code: { value: serialized.code, enumerable: true },
      details: { value: serialized.details ?? {}, enumerable: true },
    })
    for (const [key, value] of Object.entries(serialized.fields ?? {})) {
      if (!(key in error)) Object.defineProperty(error, key, { value, enumerable: true })
    }
  }
  return error
}

/** Replaces Comlink's 'throw' handler; call on both sides of the boundary. */
export function installErrorTransfer(classes: readonly ErrorClass[]): void {
  const byName = new Map<string, ErrorClass>()
  for (const cls of classes) {
    // The stable name is an instance field: read it off a throwaway instance.
    const probe = new (cls as unknown as new (message: string) => MeshlogError)('')
    byName.set(probe.name, cls)
  }
  const original = transferHandlers.get('throw') as TransferHandler<Thrown, SerializedThrow>
  const handler: TransferHandler<Thrown, SerializedThrow> = {
    canHandle: (value): value is Thrown => original.canHandle(value),
    serialize({ value }) {
      const serialized = serializeError(value)
      return [
        serialized === undefined ? { isError: false, value } : { isError: true, value: serialized },
        [],
      ]
    },
    deserialize(serialized) {
      if (serialized.isError) throw deserializeError(serialized.value, byName)
      throw serialized.value
    },
  }
  transferHandlers.set('throw', handler as TransferHandler<unknown, unknown>)
}
