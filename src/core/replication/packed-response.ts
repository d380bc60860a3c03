/**
 * SyncResponses whose entries travel packed. A leader reads a run from its
 * store and the codec writes its bytes out as they are; the decoder hands
 * the replica a run over the frame's bytes, which it verifies and stores.
 * No object per entry on the way: `entries` is made from the run the first
 * time a slower path (a fork, a forged chunk, a test) reads it.
 *
 * The run is kept beside the response (a WeakMap), not in it: a copy made
 * with other entries (`{ ...response, entries }`, as a test or an adversary
 * does) has no run, so nothing ever trusts a run the entries disagree with.
 */
import type { Entry } from '../log/entry.js'
import type { EntryRun } from '../log/entry-run.js'
import type { SyncResponse } from './messages.js'

const runs = new WeakMap<SyncResponse, EntryRun>()

export function packedSyncResponse(
  fields: Omit<SyncResponse, 'entries'>,
  run: EntryRun,
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
  return response
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
