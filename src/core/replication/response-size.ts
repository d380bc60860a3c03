/**
 * The wire cost of a SyncResponse, for the bandwidth budget. seed 001
 * counts a 47-byte header (subprotocol 3 + channel 32 + first seq 8 +
 * count 4) and, per entry, seq 8 + length 4 + payload. Our entries also
 * carry their hash chain and author, so each adds those fields as well.
 */
import type { Entry } from '../log/entry.js'
import { HASH_BYTES } from '../log/entry.js'
import { wireSignatureBytes } from '../log/run-wire.js'
import type { SyncResponse } from './messages.js'
import { responseRun } from './packed-response.js'

export const RESPONSE_HEADER_BYTES = 47
/** seed 001: seq u64 + payload length u32. */
const ENTRY_SEED_OVERHEAD_BYTES = 8 + 4
/** hash + prevHash + authorSeq u64 + author length u16. */
const ENTRY_CHAIN_OVERHEAD_BYTES = 2 * HASH_BYTES + 8 + 2

export function estimateEntryBytes(entry: Entry): number {
  return (
    ENTRY_SEED_OVERHEAD_BYTES +
    ENTRY_CHAIN_OVERHEAD_BYTES +
    entry.author.length +
    entry.payload.byteLength +
    (entry.signature?.byteLength ?? 0) +
    (entry.groupProof?.byteLength ?? 0)
  )
}

export function estimateResponseBytes(response: SyncResponse): number {
  const run = responseRun(response)
  if (run !== undefined) {
    // The same sum as below, from the run's totals.
    return (
      RESPONSE_HEADER_BYTES +
      run.count * (ENTRY_SEED_OVERHEAD_BYTES + ENTRY_CHAIN_OVERHEAD_BYTES) +
      run.authorChars() +
      run.payloadBytes +
      wireSignatureBytes(run)
    )
  }
  let bytes = RESPONSE_HEADER_BYTES
  for (const entry of response.entries) bytes += estimateEntryBytes(entry)
  return bytes
}
