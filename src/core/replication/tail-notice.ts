/**
 * Beyond the seed: a leader whose tail advanced tells its replicas at once
 * with an early heartbeat, so they pull now rather than at the next beat.
 * Notices are coalesced: at most one per `minIntervalMs`, and a burst of
 * appends inside the interval yields a single notice at its end, carrying
 * the tail of the moment it is sent. At most one timer is ever pending.
 */
import type { Cancel, Clock } from '../time/clock.js'
import { sendHeartbeat } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'

export const TAIL_NOTICE_MIN_INTERVAL_MS_DEFAULT = 5

export class TailNoticeScheduler {
  readonly #clock: Clock
  readonly #minIntervalMs: number
  readonly #onDue: () => void
  #lastDueAt: number | undefined
  #pending: Cancel | undefined
  #closed = false

  constructor(clock: Clock, minIntervalMs: number, onDue: () => void) {
    this.#clock = clock
    this.#minIntervalMs = Math.max(0, minIntervalMs)
    this.#onDue = onDue
  }

  /** The tail advanced; a notice follows now or at the end of the interval. */
  notify(): void {
    if (this.#closed || this.#pending !== undefined) return
    const now = this.#clock.now()
    const wait = this.#lastDueAt === undefined ? 0 : this.#lastDueAt + this.#minIntervalMs - now
    if (wait <= 0) {
      this.#due()
      return
    }
    this.#pending = this.#clock.setTimer(wait, () => {
      this.#pending = undefined
      if (!this.#closed) this.#due()
    })
  }

  close(): void {
    this.#closed = true
    this.#pending?.()
    this.#pending = undefined
  }

  #due(): void {
    this.#lastDueAt = this.#clock.now()
    this.#onDue()
  }
}

/**
 * Sends the leader's current tail to every other member, if still leader,
 * but a replica whose last answer already reached that tail (a parked
 * request the append answered): the entries are on their way to it, and a
 * notice would only cost it a heartbeat to handle. Periodic heartbeats
 * still reach every member.
 */
export async function sendTailNotice(ctx: RuntimeContext): Promise<void> {
  if (ctx.coordinator.role !== 'leader') return
  const tailSeq = ctx.store.state(ctx.channel).nextSeq
  const message = {
    channelId: ctx.channel,
    tailSeq,
    role: 'leader' as const,
    wallClockMs: ctx.clock.wallNow(),
  }
  ctx.metrics.add('tailNoticesSentTotal')
  for (const peer of new Set(ctx.replicaSet)) {
    if (peer === ctx.self) continue
    if ((ctx.served.endOf(peer) ?? -1) >= tailSeq) {
      ctx.metrics.add('tailNoticesSkippedTotal')
      continue
    }
    await sendHeartbeat(ctx, peer, message)
  }
}
