/**
 * IndexedDB failures as meshlog errors. Quota exhaustion arrives as a
 * DOMException named QuotaExceededError, on the request or only on the
 * transaction that aborted; both become StorageFullError.
 */
import { MeshlogError } from '../core/errors.js'
import { StorageError, StorageFullError } from '../core/log/log-errors.js'

function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const { name, message } = error as { name?: unknown; message?: unknown }
  return name === 'QuotaExceededError' || (typeof message === 'string' && /quota/i.test(message))
}

export function toStorageError(error: unknown, details: Record<string, unknown>): MeshlogError {
  if (error instanceof MeshlogError) return error
  if (isQuotaError(error)) {
    return new StorageFullError('storage quota exceeded; nothing of this write was stored', {
      cause: error,
      details,
    })
  }
  const name = (error as { name?: unknown } | null)?.name
  return new StorageError(
    `IndexedDB failed: ${String((error as Error | null)?.message ?? error)}`,
    {
      cause: error,
      details: { ...details, name: typeof name === 'string' ? name : undefined },
    },
  )
}
