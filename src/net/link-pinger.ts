/**
 * PING/PONG on a link: measures the round trip and proves the peer is still
 * there. A WebRTC peer whose tab closed can take tens of seconds to be
 * noticed by the transport; a missed PONG settles it within one deadline.
 * Bounded: while `maxOutstanding` pings wait, a new caller shares the newest.
 */
import { ClosedError, TimeoutError } from '../core/errors.js'

interface Listener {
  readonly resolve: (rtt: number) => void
  readonly reject: (err: Error) => void
}

interface Waiting {
  readonly sentAt: number
  readonly listeners: Listener[]
  readonly timer: ReturnType<typeof setTimeout>
}

export class LinkPinger {
  readonly #send: (nonce: number) => void
  readonly #maxOutstanding: number
  readonly #waiting = new Map<number, Waiting>()
  #nextNonce = Math.floor(Math.random() * 0xffff_ffff)
  #lastRtt: number | undefined

  constructor(send: (nonce: number) => void, maxOutstanding = 4) {
    this.#send = send
    this.#maxOutstanding = maxOutstanding
  }

  get lastRtt(): number | undefined {
    return this.#lastRtt
  }

  get outstanding(): number {
    return this.#waiting.size
  }

  /** Resolves with the round-trip time in ms, or rejects with `TimeoutError`. */
  ping(timeoutMs: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const listener = { resolve, reject }
      if (this.#waiting.size >= this.#maxOutstanding) {
        const newest = [...this.#waiting.values()].at(-1)
        newest?.listeners.push(listener)
        return
      }
      const nonce = this.#nextNonce
      this.#nextNonce = (this.#nextNonce + 1) >>> 0
      const timer = setTimeout(() => {
        this.#settle(
          nonce,
          new TimeoutError(`no pong within ${timeoutMs} ms`, { details: { timeoutMs } }),
        )
      }, timeoutMs)
      this.#waiting.set(nonce, { sentAt: performance.now(), listeners: [listener], timer })
      try {
        this.#send(nonce)
      } catch (err) {
        this.#settle(nonce, err instanceof Error ? err : new ClosedError(String(err)))
      }
    })
  }

  /** A PONG arrived; unknown nonces (late, or never sent) are ignored. */
  onPong(nonce: number): void {
    const waiting = this.#waiting.get(nonce)
    if (waiting === undefined) return
    // To a tenth of a millisecond: a round trip on a LAN takes one or two.
    this.#lastRtt = Math.round((performance.now() - waiting.sentAt) * 10) / 10
    this.#settle(nonce, this.#lastRtt)
  }

  /** Fails every outstanding ping (the link closed). */
  close(error: Error): void {
    for (const nonce of [...this.#waiting.keys()]) this.#settle(nonce, error)
  }

  #settle(nonce: number, outcome: number | Error): void {
    const waiting = this.#waiting.get(nonce)
    if (waiting === undefined) return
    this.#waiting.delete(nonce)
    clearTimeout(waiting.timer)
    for (const listener of waiting.listeners) {
      if (typeof outcome === 'number') listener.resolve(outcome)
      else listener.reject(outcome)
    }
  }
}
