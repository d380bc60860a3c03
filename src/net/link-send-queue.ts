/**
 * The sends waiting on a link, in call order. One pump writes them: each
 * waits until the link can take it (credit, transport drain), so frames go
 * out in order and at most one is handed to the transport ahead of its
 * backpressure. Bounded: more than `maxPending` waiting sends are refused,
 * and each send has a deadline; a send that times out or is aborted was
 * never written, so the caller may retry it.
 */
import { AbortedError } from '../core/errors.js'
import { deadlineSignal, typedFailure } from './deadline.js'
import { SendQueueFullError } from './net-errors.js'

/** A send waits for the peer's credit or for the transport to drain. */
export type WaitReason = 'credit' | 'drain'

export interface SendQueueHooks {
  readonly maxPending: number
  readonly timeoutMs: number
  /** Why sending is impossible now (the link closed), if it is. */
  readonly failure: () => Error | undefined
  /** Whether the link can take a frame of this cost now, or what it waits for. */
  readonly ready: (cost: number) => 'ready' | WaitReason
  /** Hands the frame to the transport. */
  readonly write: (frame: Uint8Array) => void
  /** Called once per send and reason it had to wait for. */
  readonly onWait: (reason: WaitReason) => void
}

interface Job {
  readonly frame: Uint8Array
  readonly signal: AbortSignal
  readonly callerSignal: AbortSignal | undefined
  readonly resolve: () => void
  readonly reject: (err: Error) => void
  readonly onAbort: () => void
}

export class LinkSendQueue {
  readonly #hooks: SendQueueHooks
  readonly #jobs: Job[] = []
  #pumping = false
  #wake: (() => void) | undefined

  constructor(hooks: SendQueueHooks) {
    this.#hooks = hooks
  }

  get length(): number {
    return this.#jobs.length
  }

  send(frame: Uint8Array, callerSignal: AbortSignal | undefined): Promise<void> {
    if (this.#jobs.length >= this.#hooks.maxPending) {
      return Promise.reject(
        new SendQueueFullError(`${this.#hooks.maxPending} sends already wait on this link`, {
          details: { maxPending: this.#hooks.maxPending },
        }),
      )
    }
    return new Promise<void>((resolve, reject) => {
      const signal = deadlineSignal(this.#hooks.timeoutMs, callerSignal)
      const job: Job = {
        frame,
        signal,
        callerSignal,
        resolve,
        reject,
        onAbort: () => {
          const at = this.#jobs.indexOf(job)
          // The head job belongs to the pump, which notices the abort when woken.
          if (at > 0) {
            this.#jobs.splice(at, 1)
            reject(this.#abortFailure(job))
          } else {
            this.wake()
          }
        },
      }
      signal.addEventListener('abort', job.onAbort, { once: true })
      this.#jobs.push(job)
      void this.#pump()
    })
  }

  /** Something changed (credit, drain, close): the pump looks again. */
  wake(): void {
    const wake = this.#wake
    this.#wake = undefined
    wake?.()
  }

  /** Fails every waiting send (the pump fails its current one when woken). */
  failAll(error: Error): void {
    const waiting = this.#jobs.splice(this.#pumping ? 1 : 0)
    for (const job of waiting) {
      job.signal.removeEventListener('abort', job.onAbort)
      job.reject(error)
    }
    this.wake()
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      for (let job = this.#jobs[0]; job !== undefined; job = this.#jobs[0]) {
        try {
          await this.#waitUntilReady(job)
          this.#hooks.write(job.frame)
          job.resolve()
        } catch (err) {
          job.reject(err instanceof Error ? err : new AbortedError(String(err)))
        } finally {
          job.signal.removeEventListener('abort', job.onAbort)
          if (this.#jobs[0] === job) this.#jobs.shift()
        }
      }
    } finally {
      this.#pumping = false
    }
  }

  async #waitUntilReady(job: Job): Promise<void> {
    const cost = job.frame.byteLength + 1
    const counted = new Set<WaitReason>()
    for (;;) {
      const failure = this.#hooks.failure()
      if (failure !== undefined) throw failure
      if (job.signal.aborted) throw this.#abortFailure(job)
      const state = this.#hooks.ready(cost)
      if (state === 'ready') return
      if (!counted.has(state)) {
        counted.add(state)
        this.#hooks.onWait(state)
      }
      await new Promise<void>((resolve) => {
        this.#wake = resolve
      })
    }
  }

  #abortFailure(job: Job): Error {
    return typedFailure(job.signal.reason, 'link send', job.signal, job.callerSignal, (m, c) => {
      return new AbortedError(m, { cause: c })
    })
  }
}
