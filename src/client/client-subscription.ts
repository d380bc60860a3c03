/**
 * One `subscribe()` on the page: the user's handler, and the cursor (the
 * next seq it expects), so a restarted worker resumes delivery exactly
 * where the old one stopped. The handler is passed to the worker as a
 * Comlink proxy; the worker releases it when the subscription ends.
 */
import { proxy } from 'comlink'
import type { Entry } from '../core/log/entry.js'
import type { ChannelId, Seq } from '../core/log/ids.js'
import type { Delivery, PageCallback } from '../rpc/worker-api.js'

/** Receives each batch of new entries, in order. May be async: the next batch waits for it. */
export type EntriesHandler = (entries: readonly Entry[]) => void | Promise<void>

/** The local log jumped; delivery resumes at `resumeAt`. */
export interface LogReset {
  readonly channel: ChannelId
  readonly firstSeq: Seq
  readonly nextSeq: Seq
  readonly resumeAt: Seq
}

export class ClientSubscription {
  readonly channel: ChannelId
  readonly from: number | 'tail'
  /** Set once the first worker accepted it; only started subscriptions are restored. */
  started = false
  active = true
  workerId: number | undefined
  #cursor: Seq | undefined
  readonly #onEntries: EntriesHandler
  readonly #onReset: ((reset: LogReset) => void) | undefined
  readonly #onError: (error: unknown) => void
  readonly callback: PageCallback<Delivery>

  constructor(
    channel: ChannelId,
    from: number | 'tail',
    onEntries: EntriesHandler,
    onReset: ((reset: LogReset) => void) | undefined,
    onError: (error: unknown) => void,
  ) {
    this.channel = channel
    this.from = from
    this.#onEntries = onEntries
    this.#onReset = onReset
    this.#onError = onError
    this.callback = proxy((delivery: Delivery) => this.#take(delivery))
  }

  /** Where delivery resumes in a new worker. */
  get resumeFrom(): number | 'tail' {
    return this.#cursor ?? this.from
  }

  /** The worker accepted the subscription, starting at `from`. */
  accepted(workerId: number, from: Seq): void {
    this.workerId = workerId
    this.started = true
    this.#cursor ??= from
  }

  async #take(delivery: Delivery): Promise<void> {
    if (!this.active) return
    try {
      if (delivery.kind === 'reset') {
        this.#cursor = delivery.resumeAt
        this.#onReset?.({ channel: this.channel, ...delivery })
        return
      }
      const last = delivery.entries[delivery.entries.length - 1]
      if (last === undefined) return
      this.#cursor = (last.seq + 1) as Seq
      await this.#onEntries(delivery.entries)
    } catch (error) {
      // A failing handler must not stall the log for everyone else.
      this.#onError(error)
    }
  }
}
