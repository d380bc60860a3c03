import { MeshlogError } from '../errors.js'

/** A batch does not start at the channel's next seq: entries would be missing. */
export class SeqGapError extends MeshlogError {
  override readonly name = 'SeqGapError'
  override readonly code = 'ERR_SEQ_GAP'
}

/** A batch rewrites seqs the channel already holds, or repeats a seq within itself. */
export class SeqConflictError extends MeshlogError {
  override readonly name = 'SeqConflictError'
  override readonly code = 'ERR_SEQ_CONFLICT'
}

/** An entry's `prevHash` is not the hash of the entry before it. */
export class ChainBrokenError extends MeshlogError {
  override readonly name = 'ChainBrokenError'
  override readonly code = 'ERR_CHAIN_BROKEN'
}

/** An entry's `hash` is not the hash of its own fields: forged or damaged. */
export class HashMismatchError extends MeshlogError {
  override readonly name = 'HashMismatchError'
  override readonly code = 'ERR_HASH_MISMATCH'
}

/** The seed's AppendFailed: storage refused the write (quota). Nothing was written. */
export class StorageFullError extends MeshlogError {
  override readonly name = 'StorageFullError'
  override readonly code = 'ERR_STORAGE_FULL'
}

/** Stored bytes failed verification on read. */
export class CorruptLogError extends MeshlogError {
  override readonly name = 'CorruptLogError'
  override readonly code = 'ERR_CORRUPT_LOG'
}

/** The requested seqs were evicted by retention or skipped. */
export class RangeEvictedError extends MeshlogError {
  override readonly name = 'RangeEvictedError'
  override readonly code = 'ERR_RANGE_EVICTED'
}

/** The underlying storage failed for a reason other than quota. */
export class StorageError extends MeshlogError {
  override readonly name = 'StorageError'
  override readonly code = 'ERR_STORAGE'
}

/** The outbox holds as many pending writes as it may; this one was not taken. */
export class OutboxFullError extends MeshlogError {
  override readonly name = 'OutboxFullError'
  override readonly code = 'ERR_OUTBOX_FULL'
}

/** An entry or draft is not signed by its author (missing, malformed or wrong signature). */
export class ForgedEntryError extends MeshlogError {
  override readonly name = 'ForgedEntryError'
  override readonly code = 'ERR_FORGED_ENTRY'
}
