/**
 * One page subscription to a channel: reads the log from a cursor in
 * bounded chunks and hands each chunk to the page, waiting for the page to
 * take it before reading the next. So a slow page slows its own delivery
 * and nothing piles up in the worker; a page that takes no delivery within
 * `deliveryTimeoutMs` loses the subscription (counted).
 *
 * The log may jump: a skip-ahead moves `firstSeq` past the cursor, a
 * truncation cuts entries already delivered. Either way the page gets a
 * `reset` naming where delivery resumes, then the entries from there.
 */
import { releaseProxy, transfer } from 'comlink'
import type { Entry } from '../core/log/entry.js'
import type { ChannelId, Seq } from '../core/log/ids.js'
import { RangeEvictedError } from '../core/log/log-errors.js'
import type { LogStore } from '../core/log/log-store.js'
import type { Clock } from '../core/time/clock.js'
import { packEntries } from '../rpc/entry-batch.js'
import type { Delivery, PageCallback } from '../rpc/worker-api.js'

// Small enough that taking one delivery (structured-clone decoding on the
// page's main thread) stays far below a 50 ms long task.
export const DELIVERY_CHUNK_ENTRIES_DEFAULT = 256
export const DELIVERY_CHUNK_BYTES_DEFAULT = 256 << 10
export const DELIVERY_TIMEOUT_MS_DEFAULT = 30_000
/** Reads that fail in a row (a racing sweep, a storage hiccup) before the subscription ends. */
const READ_FAILURES_MAX = 3

export type PumpEnd = 'closed' | 'timed-out' | 'failed'

export interface SubscriptionPumpOptions {
  readonly store: LogStore
  readonly channel: ChannelId
  readonly from: Seq
  readonly deliver: PageCallback<Delivery>
  readonly clock: Clock
  readonly chunkEntries?: number
  readonly chunkBytes?: number
  readonly deliveryTimeoutMs?: number
  readonly onDelivered?: () => void
  readonly onEnd: (end: PumpEnd) => void
}

export class SubscriptionPump {
  readonly channel: ChannelId
  readonly #options: SubscriptionPumpOptions
  #cursor: Seq
  /** Lowest tail a truncation left since the last delivery; entries from there may be new. */
  #truncatedTo: Seq | undefined
  #running = false
  #again = false
  #ended = false

  constructor(options: SubscriptionPumpOptions) {
    this.channel = options.channel
    this.#options = options
    this.#cursor = options.from
  }

  get cursor(): Seq {
    return this.#cursor
  }

  /** The log advanced: deliver what is new. */
  poke(): void {
    if (this.#ended) return
    if (this.#running) {
      this.#again = true
      return
    }
    this.#running = true
    void this.#run().finally(() => {
      this.#running = false
    })
  }

  /** The log jumped (skip-ahead or truncation) to [firstSeq, nextSeq). */
  reset(nextSeq: Seq): void {
    if (this.#truncatedTo === undefined || nextSeq < this.#truncatedTo) this.#truncatedTo = nextSeq
    this.poke()
  }

  /** Ends the subscription and releases the page's callback. Idempotent. */
  close(end: PumpEnd = 'closed'): void {
    if (this.#ended) return
    this.#ended = true
    try {
      // Closes the Comlink port behind the page's callback, on both sides.
      this.#options.deliver[releaseProxy]?.()
    } catch {
      // The page end is gone already.
    }
    this.#options.onEnd(end)
  }

  async #run(): Promise<void> {
    let failures = 0
    do {
      this.#again = false
      while (!this.#ended) {
        try {
          if (!(await this.#step())) break
          failures = 0
        } catch (error) {
          if (this.#ended) return
          if (!(error instanceof RangeEvictedError) && ++failures >= READ_FAILURES_MAX) {
            this.close('failed')
            return
          }
        }
      }
    } while (this.#again && !this.#ended)
  }

  /** Delivers one reset or one chunk; false when there is nothing to deliver. */
  async #step(): Promise<boolean> {
    const { store, channel } = this.#options
    const { firstSeq, nextSeq } = store.state(channel)
    const truncatedTo = this.#truncatedTo
    this.#truncatedTo = undefined
    let resumeAt: Seq | undefined
    if (truncatedTo !== undefined && truncatedTo < this.#cursor) resumeAt = truncatedTo
    if (this.#cursor > nextSeq) resumeAt = nextSeq
    if (this.#cursor < firstSeq) resumeAt = firstSeq
    if (resumeAt !== undefined) {
      const at = Math.max(firstSeq, Math.min(resumeAt, nextSeq)) as Seq
      await this.#deliver({ kind: 'reset', firstSeq, nextSeq, resumeAt: at })
      this.#cursor = at
      return true
    }
    if (this.#cursor >= nextSeq) return false
    const entries = await store.read(channel, this.#cursor, undefined, {
      maxEntries: this.#options.chunkEntries ?? DELIVERY_CHUNK_ENTRIES_DEFAULT,
      maxBytes: this.#options.chunkBytes ?? DELIVERY_CHUNK_BYTES_DEFAULT,
    })
    const last = entries[entries.length - 1] as Entry | undefined
    if (last === undefined) return false
    const packed = packEntries(entries)
    await this.#deliver(transfer({ kind: 'entries', entries: packed.entries }, [packed.buffer]))
    this.#cursor = (last.seq + 1) as Seq
    return true
  }

  #deliver(delivery: Delivery): Promise<void> {
    const { clock, deliver } = this.#options
    const timeoutMs = this.#options.deliveryTimeoutMs ?? DELIVERY_TIMEOUT_MS_DEFAULT
    return new Promise<void>((resolve, reject) => {
      const cancel = clock.setTimer(timeoutMs, () => {
        this.close('timed-out')
        reject(new Error('delivery timed out'))
      })
      deliver(delivery).then(
        () => {
          cancel()
          if (this.#ended) return
          this.#options.onDelivered?.()
          resolve()
        },
        (error: unknown) => {
          cancel()
          reject(error)
        },
      )
    })
  }
}
