/**
 * Beyond the seed: the loop takes the appends waiting in its backlog
 * together and commits them as one (`runAppendGroup`). Each append costs a durable write;
 * while one is slow (a strict IndexedDB commit took 100+ ms under load)
 * appends arriving at 100/s filled the backlog of 64 and were refused
 * (InboxFullError in bench:wire). Taken together they cost one.
 */
import type { Seq } from '../log/ids.js'
import type { OutboxEntry } from '../log/log-store.js'
import type { BoundedQueue } from '../queue/bounded-queue.js'
import { type AppendOutcome, appendLocal, appendSignedLocal, isPending } from './local-append.js'
import { moveOutbox } from './outbox-flow.js'
import type { RuntimeContext } from './runtime-context.js'

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

/** Runs a step of the loop and tells replicas early if it moved a leader's tail. */
export type Advancing = <T>(step: () => Promise<T>) => Promise<T>

/**
 * Commits a group of appends at once, each answered with its own part
 * of the outcome. If the group fails, each append is then tried alone:
 * one is refused only for a failure it meets alone (though what the
 * group's failure set off, a full disk's policy, has run).
 */
export async function runAppendGroup(
  ctx: RuntimeContext,
  jobs: readonly AppendJob[],
  advancing: Advancing,
): Promise<void> {
  let forward = false
  const grouped =
    jobs.length > 1 ? await commitGroup(ctx, jobs, advancing).catch(() => undefined) : undefined
  if (grouped !== undefined) {
    forward = isPending(grouped)
  } else {
    for (const job of jobs) {
      try {
        forward = isPending(await commitGroup(ctx, [job], advancing)) || forward
      } catch (error) {
        job.signed?.settle()
        job.reject(error)
      }
    }
  }
  // Forward (or, on a leader, commit) at once rather than at the next beat.
  if (forward) await advancing(() => moveOutbox(ctx))
}

/** Stores `jobs` as one append and answers each; throws (answering none) when that fails. */
async function commitGroup(
  ctx: RuntimeContext,
  jobs: readonly AppendJob[],
  advancing: Advancing,
): Promise<AppendOutcome> {
  const [first] = jobs as [AppendJob]
  const outcome = await advancing(() =>
    first.signed === undefined
      ? appendLocal(ctx, jobs.length === 1 ? first.payloads : jobs.flatMap((j) => j.payloads))
      : appendSignedLocal(
          ctx,
          jobs.flatMap((j) => j.signed?.writes ?? []),
        ),
  )
  if (jobs.length > 1) ctx.metrics.add('appendsGroupedTotal', jobs.length - 1)
  let offset = 0
  for (const job of jobs) {
    job.signed?.settle()
    job.resolve(jobs.length === 1 ? outcome : partOf(outcome, offset, job.payloads.length))
    offset += job.payloads.length
  }
  return outcome
}
