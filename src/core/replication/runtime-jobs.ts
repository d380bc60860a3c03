/**
 * The work a replication runtime's loop has waiting, and the order it is
 * served in: the priority lane first, then peers the transport lost, then
 * hand-offs, then an authorSeq read (own-write signing waits on it), then
 * local appends, then a due tick, then a due outbox move (after a leader
 * change), then parked requests the tail moved past, then a due tail
 * notice, then the low lane. Local appends and the low lane take turns:
 * after an append, a waiting low-lane event (a replica's SyncRequest) goes
 * first, so a stream of appends cannot hold catch-up back until it ends.
 * Timers and follow-ups only mark their job due: one due job stands for
 * any number of marks.
 */
import type { PeerId } from '../log/ids.js'
import { BoundedQueue } from '../queue/bounded-queue.js'
import { type AppendJob, takeAppendGroup } from './append-group.js'
import type { Inbound } from './inbound.js'
import { ReplicationInbox } from './inbox.js'
import type { HandoffStart } from './leader-handoff.js'

export interface AuthorSeqRead {
  readonly resolve: (next: number) => void
  readonly reject: (error: unknown) => void
}

export interface HandoffJob {
  readonly to: PeerId
  readonly resolve: (result: HandoffStart) => void
}

export type Job =
  | { readonly kind: 'event'; readonly event: Inbound }
  | { readonly kind: 'handoff'; readonly job: HandoffJob }
  | { readonly kind: 'append'; readonly jobs: readonly AppendJob[] }
  | { readonly kind: 'author-seq'; readonly read: AuthorSeqRead }
  | { readonly kind: 'tick' }
  | { readonly kind: 'outbox' }
  | { readonly kind: 'notice' }
  | { readonly kind: 'parked' }
  | { readonly kind: 'unreachable'; readonly peers: readonly PeerId[] }

/**
 * Jobs that are marked due rather than queued, in the order they are
 * served: a heartbeat tick; moving the outbox (the followed leader
 * changed); serving parked requests (the leader's tail moved while
 * caught-up replicas waited at the old one); an early tail notice.
 */
export type DueJob = 'tick' | 'outbox' | 'parked' | 'notice'
const DUE_ORDER: readonly DueJob[] = ['tick', 'outbox', 'parked', 'notice']

export interface RuntimeJobsOptions {
  readonly inboxCapacity?: number | undefined
  readonly priorityInboxCapacity?: number | undefined
  /** Local appends waiting for the loop; more are refused. */
  readonly appendBacklog: number
}

export class RuntimeJobs {
  readonly inbox: ReplicationInbox
  readonly appends: BoundedQueue<AppendJob>
  readonly authorSeqReads = new BoundedQueue<AuthorSeqRead>(1)
  readonly handoffs = new BoundedQueue<HandoffJob>(4)
  /** Members the transport lost since the loop last looked. */
  readonly unreachable = new Set<PeerId>()
  readonly #due = new Set<DueJob>()
  /** The last job taken was a local append (the low lane goes next, if waiting). */
  #appendedLast = false

  constructor(options: RuntimeJobsOptions) {
    this.inbox = new ReplicationInbox(options.inboxCapacity, options.priorityInboxCapacity)
    this.appends = new BoundedQueue(options.appendBacklog)
  }

  markDue(job: DueJob): void {
    this.#due.add(job)
  }

  /** The next job to run, taken off its queue; undefined when there is none. */
  next(): Job | undefined {
    const urgent = this.inbox.shiftPriority()
    if (urgent !== undefined) return { kind: 'event', event: urgent }
    if (this.unreachable.size > 0) {
      const peers = [...this.unreachable]
      this.unreachable.clear()
      return { kind: 'unreachable', peers }
    }
    const handoff = this.handoffs.shift()
    if (handoff !== undefined) return { kind: 'handoff', job: handoff }
    const read = this.authorSeqReads.shift()
    if (read !== undefined) return { kind: 'author-seq', read }
    const yieldToLow = this.#appendedLast && this.inbox.lowSize > 0
    const append = yieldToLow ? undefined : this.appends.shift()
    if (append !== undefined) {
      this.#appendedLast = true
      return { kind: 'append', jobs: takeAppendGroup(append, this.appends) }
    }
    for (const due of DUE_ORDER) {
      if (this.#due.delete(due)) return { kind: due }
    }
    const event = this.inbox.shiftLow()
    if (event === undefined) return undefined
    this.#appendedLast = false
    return { kind: 'event', event }
  }

  hasWork(): boolean {
    return (
      this.#due.size > 0 ||
      this.unreachable.size > 0 ||
      this.appends.size > 0 ||
      this.authorSeqReads.size > 0 ||
      this.handoffs.size > 0 ||
      this.inbox.prioritySize + this.inbox.lowSize > 0
    )
  }
}
