/**
 * A runtime signs its own writes before they enter its loop (README,
 * "Signed entries"): Ed25519 costs ~0.1–0.15 ms per entry, and a
 * 1,000-entry append signed inside the loop held heartbeats and inbound
 * frames for ~150 ms, long enough for replicas to time the leader out.
 *
 * Appends wait here in order. One at a time, the lane reserves the next
 * authorSeqs (past the loop's next number and past every reservation still
 * held), signs the drafts, and hands them to the loop, which only seals and
 * stores them. Reservations reach the loop in authorSeq order, so a tab's
 * writes commit in the order they were made. A reservation is held until
 * its append settles; a failed one gives its numbers back to the next
 * append. The loop stays the authority on numbering (`appendSignedLocal`):
 * numbers that went stale meanwhile are renumbered and signed again there,
 * so a failure never leaves a hole that would hold this author's later
 * writes back.
 */
import type { OutboxEntry } from '../log/log-store.js'
import { BoundedQueue } from '../queue/bounded-queue.js'
import { ownDrafts } from './local-append.js'
import type { RuntimeContext } from './runtime-context.js'
import { signOwnWrites } from './write-signatures.js'

export interface OwnWriteRequest {
  readonly payloads: readonly Uint8Array[]
  readonly reject: (error: unknown) => void
}

export interface SignedOwnWrites<R extends OwnWriteRequest> {
  readonly request: R
  readonly writes: readonly OutboxEntry[]
  /** Ends the reservation: call once the append has settled, either way. */
  readonly settle: () => void
}

export interface OwnWriteSigningOptions<R extends OwnWriteRequest> {
  readonly ctx: RuntimeContext
  /** Appends waiting, being signed, or signed and not yet settled; more are refused. */
  readonly capacity: number
  /** This peer's next authorSeq as the loop knows it (`nextAuthorSeq`), read in the loop. */
  readonly readNextAuthorSeq: () => Promise<number>
  /** Hands signed writes to the loop. */
  readonly onSigned: (signed: SignedOwnWrites<R>) => void
}

interface Reservation {
  readonly first: number
  readonly count: number
}

export class OwnWriteSigning<R extends OwnWriteRequest> {
  readonly #options: OwnWriteSigningOptions<R>
  readonly #waiting: BoundedQueue<R>
  readonly #held: Reservation[] = []
  #running = false
  #closedBy: (() => unknown) | undefined

  constructor(options: OwnWriteSigningOptions<R>) {
    this.#options = options
    this.#waiting = new BoundedQueue(options.capacity)
  }

  /** Appends waiting to be signed plus reservations not yet settled. */
  get size(): number {
    return this.#waiting.size + this.#held.length
  }

  /** Queues `request`; false (nothing queued) when full or closed. */
  tryPush(request: R): boolean {
    if (this.#closedBy !== undefined || this.size >= this.#options.capacity) return false
    if (!this.#waiting.tryPush(request)) return false
    void this.#run()
    return true
  }

  /** Rejects what waits with `reason()`; a signing under way rejects when it ends. */
  close(reason: () => unknown): void {
    this.#closedBy ??= reason
    for (const request of this.#waiting.drain()) request.reject(reason())
  }

  async #run(): Promise<void> {
    if (this.#running) return
    this.#running = true
    try {
      for (;;) {
        const request = this.#waiting.shift()
        if (request === undefined) break
        await this.#sign(request)
      }
    } finally {
      this.#running = false
    }
  }

  async #sign(request: R): Promise<void> {
    const { ctx } = this.#options
    let reservation: Reservation | undefined
    try {
      reservation = { first: await this.#firstFree(), count: request.payloads.length }
      this.#held.push(reservation)
      const drafts = ownDrafts(ctx, reservation.first, request.payloads)
      const writes = await signOwnWrites(ctx, drafts)
      if (this.#closedBy !== undefined) throw this.#closedBy()
      const held = reservation
      this.#options.onSigned({ request, writes, settle: () => this.#release(held) })
    } catch (error) {
      if (reservation !== undefined) this.#release(reservation)
      request.reject(error)
    }
  }

  async #firstFree(): Promise<number> {
    const { ctx } = this.#options
    const known = ctx.outbox.nextAuthorSeq
    const next =
      known === undefined
        ? await this.#options.readNextAuthorSeq()
        : Math.max(known, ctx.store.authorMark(ctx.channel, ctx.self) + 1)
    const last = this.#held.at(-1)
    return last === undefined ? next : Math.max(next, last.first + last.count)
  }

  #release(reservation: Reservation): void {
    const at = this.#held.indexOf(reservation)
    if (at >= 0) this.#held.splice(at, 1)
  }
}
