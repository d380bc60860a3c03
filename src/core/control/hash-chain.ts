/**
 * A BLAKE3 hash chain over records, written ring-first, chain-second (seed
 * 002): the record is visible in its ring at once, and its link goes to an
 * optional durable sink. Links reach the sink strictly in order, one at a
 * time; when an append fails (throws, rejects or times out) the link and
 * everything behind it stay `chainPending` and the next `flush()` (every
 * tick) retries from that link. A sink must therefore accept a link it may
 * already hold (dedupe by `index`).
 *
 * link.hash = BLAKE3(domain | prevHash | u64be index | canonical record bytes)
 */
import { toString as toHex } from 'uint8arrays/to-string'
import { HASH_BYTES } from '../log/entry.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../time/clock.js'
import { canonicalJsonBytes } from './canonical-json.js'

export interface ChainLink<R> {
  /** 1, 2, 3, … per chain. */
  readonly index: number
  readonly prevHash: Uint8Array
  readonly hash: Uint8Array
  readonly record: R
}

export interface ChainSink<R> {
  append(link: ChainLink<R>): void | Promise<void>
}

/** A ring entry's view of its link; the writer updates it as the sink answers. */
export interface ChainStatus {
  chainPending: boolean
  chainHash: string | undefined
}

export interface HashChainOptions<R> {
  readonly domain: string
  readonly hasher: EntryHasher
  readonly clock: Clock
  readonly logger: Logger
  readonly backlogCapacity: number
  readonly appendTimeoutMs: number
  readonly sink?: ChainSink<R> | undefined
  /** The hash the first link chains onto; zeros unless resuming a persisted chain. */
  readonly genesis?: Uint8Array
}

interface Pending<R> {
  readonly link: ChainLink<R>
  readonly status: ChainStatus
}

export interface HashChainCounters {
  readonly appended: number
  readonly pending: number
  readonly appendFailures: number
  /** Records kept unchained because the backlog was full. */
  readonly unchained: number
}

const textEncoder = new TextEncoder()

export class HashChainWriter<R> {
  readonly #options: HashChainOptions<R>
  readonly #domain: Uint8Array
  readonly #backlog: Pending<R>[] = []
  #prevHash: Uint8Array
  #lastIndex = 0
  #inFlight: Promise<void> | undefined
  #appended = 0
  #appendFailures = 0
  #unchained = 0

  constructor(options: HashChainOptions<R>) {
    this.#options = options
    this.#domain = textEncoder.encode(options.domain)
    this.#prevHash = options.genesis ?? new Uint8Array(HASH_BYTES)
  }

  /** Chains `record` and starts appending it; `status` tracks the outcome. */
  push(record: R, status: ChainStatus): void {
    if (this.#backlog.length >= this.#options.backlogCapacity) {
      this.#unchained++
      status.chainPending = false
      status.chainHash = undefined
      this.#options.logger.warn('chain backlog full; record kept in the ring unchained', {
        domain: this.#options.domain,
      })
      return
    }
    const index = ++this.#lastIndex
    const indexBytes = new Uint8Array(8)
    new DataView(indexBytes.buffer).setBigUint64(0, BigInt(index))
    const prevHash = this.#prevHash
    const hash = this.#options.hasher.digest(
      this.#domain,
      prevHash,
      indexBytes,
      canonicalJsonBytes(record),
    )
    this.#prevHash = hash
    const link: ChainLink<R> = Object.freeze({ index, prevHash, hash, record })
    status.chainPending = true
    status.chainHash = toHex(hash, 'base16')
    this.#backlog.push({ link, status })
    this.flush()
  }

  /** Appends pending links in order until one fails or must be awaited. Never throws. */
  flush(): void {
    while (this.#inFlight === undefined) {
      const head = this.#backlog[0]
      if (head === undefined) return
      let answer: void | Promise<void>
      try {
        answer = this.#options.sink?.append(head.link)
      } catch (error) {
        this.#failed(head, error)
        return
      }
      if (answer instanceof Promise) {
        this.#inFlight = this.#await(head, answer)
        return
      }
      this.#succeeded(head)
    }
  }

  /** Resolves once no append is in flight, or after `ms`; never rejects. */
  settled(ms: number): Promise<void> {
    const inFlight = this.#inFlight
    if (inFlight === undefined) return Promise.resolve()
    return new Promise((resolve) => {
      const cancel = this.#options.clock.setTimer(ms, resolve)
      void inFlight.then(() => {
        cancel()
        resolve()
      })
    })
  }

  counters(): HashChainCounters {
    return {
      appended: this.#appended,
      pending: this.#backlog.length,
      appendFailures: this.#appendFailures,
      unchained: this.#unchained,
    }
  }

  async #await(head: Pending<R>, answer: Promise<void>): Promise<void> {
    let cancel = () => {}
    const timedOut = new Promise<'timeout'>((resolve) => {
      cancel = this.#options.clock.setTimer(this.#options.appendTimeoutMs, () => resolve('timeout'))
    })
    let ok = false
    try {
      ok = (await Promise.race([answer.then(() => 'ok' as const), timedOut])) === 'ok'
      if (ok) this.#succeeded(head)
      else
        this.#failed(head, new Error(`append timed out after ${this.#options.appendTimeoutMs} ms`))
    } catch (error) {
      this.#failed(head, error)
    } finally {
      cancel()
      this.#inFlight = undefined
    }
    // After a failure the next tick retries; after a success the rest of the backlog follows.
    if (ok) this.flush()
  }

  #succeeded(head: Pending<R>): void {
    this.#backlog.shift()
    this.#appended++
    head.status.chainPending = false
  }

  #failed(head: Pending<R>, error: unknown): void {
    this.#appendFailures++
    this.#options.logger.warn('chain append failed; link stays chainPending and is retried', {
      domain: this.#options.domain,
      index: head.link.index,
      error: String(error),
    })
  }
}
