/**
 * SyncResponses whose entries travel packed. A leader reads a run from its
 * store and the codec writes it out without its hashes; the decoder hands
 * the replica a run of its own with every hash computed, and the last hash
 * the leader claimed, which `claimHolds` checks before anything is stored.
 * No object per entry on the way: `entries` is made from the run the first
 * time a slower path (a fork, a forged chunk, a test) reads it.
 *
 * The run is kept beside the response (a WeakMap), not in it: a copy made
 * with other entries (`{ ...response, entries }`, as a test or an adversary
 * does) has no run, so nothing ever trusts a run the entries disagree with.
 */
import { equals } from 'uint8arrays/equals'
import type { Entry } from '../log/entry.js'
import type { EntryRun } from '../log/entry-run.js'
import type { SyncResponse } from './messages.js'

const runs = new WeakMap<SyncResponse, EntryRun>()
// The last hash the sender claimed for a run read off the wire without its hashes.
const claims = new WeakMap<SyncResponse, Uint8Array>()

/**
 * A response over `run`. `claimedLastHash`: the sender's last hash, when the
 * run's hashes were computed here from the wire (see `claimHolds`).
 */
export function packedSyncResponse(
  fields: Omit<SyncResponse, 'entries'>,
  run: EntryRun,
  claimedLastHash?: Uint8Array,
): SyncResponse {
  let entries: readonly Entry[] | undefined
  const response: SyncResponse = {
    ...fields,
    // An own enumerable getter: a spread copy of the response keeps its entries.
    get entries() {
      entries ??= run.entries()
      return entries
    },
  }
  runs.set(response, run)
  if (claimedLastHash !== undefined) claims.set(response, claimedLastHash)
  return response
}

/**
 * False when the entries, hashed here, do not end at the hash their sender
 * claimed: a byte changed on the way (or the sender's log is not what it
 * says). The wire carries no per-entry hash, so this is where it shows.
 */
export function claimHolds(response: SyncResponse): boolean {
  const claimed = claims.get(response)
  const run = runs.get(response)
  return claimed === undefined || run === undefined || equals(run.lastHash, claimed)
}

/** The run a response was made from, if it was made from one. */
export function responseRun(response: SyncResponse): EntryRun | undefined {
  return runs.get(response)
}

/** How many entries a response carries, without unpacking them. */
export function responseCount(response: SyncResponse): number {
  return runs.get(response)?.count ?? response.entries.length
}

/** The payload bytes a response carries, without unpacking them. */
export function responsePayloadBytes(response: SyncResponse): number {
  const run = runs.get(response)
  if (run !== undefined) return run.payloadBytes
  let bytes = 0
  for (const entry of response.entries) bytes += entry.payload.byteLength
  return bytes
}
