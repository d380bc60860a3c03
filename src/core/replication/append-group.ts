/**
 * Beyond the seed: the loop takes the appends waiting in its backlog
 * together and commits them as one. Each append costs a durable write;
 * while one is slow (a strict IndexedDB commit took 100+ ms under load)
 * appends arriving at 100/s filled the backlog of 64 and were refused
 * (InboxFullError in bench:wire). Taken together they cost one.
 */
import type { Seq } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'
import type { BoundedQueue } from '../queue/bounded-queue.js'
import { type AppendOutcome, isPending } from './local-append.js'

/** Most entries (and payload bytes) the loop commits in one go when it takes queued appends together. */
export const APPEND_GROUP_MAX_ENTRIES = 4096
export const APPEND_GROUP_MAX_BYTES = 16 << 20

export interface AppendRequest {
  readonly payloads: readonly Uint8Array[]
  readonly resolve: (result: AppendOutcome) => void
  readonly reject: (error: unknown) => void
}

/** An append for the loop: bare payloads, or (when the runtime signs) writes signed before it. */
export interface AppendJob extends AppendRequest {
  readonly signed?: { readonly writes: readonly OutboxEntry[]; readonly settle: () => void }
}

function payloadBytes(job: AppendJob): number {
  let bytes = 0
  for (const payload of job.payloads) bytes += payload.byteLength
  return bytes
}

/**
 * `first` and the appends queued behind it of the same kind (bare
 * payloads, or writes signed before the loop), taken off `queue` up to
 * APPEND_GROUP_MAX_ENTRIES and _BYTES. An empty append stays alone.
 */
export function takeAppendGroup(first: AppendJob, queue: BoundedQueue<AppendJob>): AppendJob[] {
  const group = [first]
  let entries = first.payloads.length
  let bytes = payloadBytes(first)
  if (entries === 0) return group
  for (let next = queue.peek(); next !== undefined; next = queue.peek()) {
    if ((next.signed === undefined) !== (first.signed === undefined)) break
    const count = next.payloads.length
    const size = payloadBytes(next)
    if (count === 0 || entries + count > APPEND_GROUP_MAX_ENTRIES) break
    if (bytes + size > APPEND_GROUP_MAX_BYTES) break
    queue.shift()
    group.push(next)
    entries += count
    bytes += size
  }
  return group
}

/** The part of a group's outcome that is the `count` appends from `offset`. */
export function partOf(outcome: AppendOutcome, offset: number, count: number): AppendOutcome {
  if (isPending(outcome)) {
    const { author, authorSeq } = outcome.pending
    return { pending: { author, authorSeq: authorSeq + offset }, count }
  }
  const firstSeq = (outcome.firstSeq + offset) as Seq
  return { firstSeq, nextSeq: (firstSeq + count) as Seq }
}
