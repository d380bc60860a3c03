/**
 * Runs the replication worker and keeps it alive. A Comlink call to a dead
 * worker never settles, so every call goes through `call()`, which gives it
 * a deadline and an AbortSignal and remembers it as pending.
 *
 * Watchdog: while the worker is ready, it is pinged every `pingIntervalMs`;
 * a ping unanswered within `pingTimeoutMs`, or an `error` event from the
 * worker, declares this incarnation dead. Then every call pending on it
 * rejects with WorkerCrashedError, the worker is terminated and a new one
 * spawned: it re-opens the slot's store (IndexedDB), the frame port
 * re-announces the page's links, and `restore` re-opens channels and
 * subscriptions. Calls made meanwhile wait for it (within their deadline).
 * A restart that fails is retried with backoff, `maxRestarts` times in a
 * row at most; after that the supervisor is `failed` and calls reject.
 */
import { type Remote, transfer, wrap } from 'comlink'
import { ClosedError } from '../core/errors.js'
import { TypedEventTarget } from '../core/events/typed-event-target.js'
import { type Cancel, type Clock, sleep, systemClock } from '../core/time/clock.js'
import type { PageFramePort } from '../rpc/page-frame-port.js'
import type { WorkerApi, WorkerEvent, WorkerHello, WorkerInit } from '../rpc/worker-api.js'
import { type CallOptions, checkTimeoutMs, withDeadline } from './call-deadline.js'
import { WorkerCrashedError } from './client-errors.js'
import { type CallCounters, PendingCalls } from './pending-calls.js'

export interface WatchdogOptions {
  readonly pingIntervalMs: number
  readonly pingTimeoutMs: number
  /** Failed restarts in a row before giving up. */
  readonly maxRestarts: number
  /** Wait before the second restart attempt; doubles per attempt, capped at 10 s. */
  readonly restartBackoffMs: number
}

export interface WorkerSupervisorOptions {
  readonly createWorker: () => Worker
  readonly init: WorkerInit
  readonly framePort: PageFramePort
  readonly callTimeoutMs: number
  readonly watchdog: WatchdogOptions
  readonly onEvent: (event: WorkerEvent) => void
  /** Re-creates channels and subscriptions in a restarted worker. */
  readonly restore: (api: Remote<WorkerApi>) => Promise<void>
  readonly clock?: Clock
}

export type SupervisorState = 'new' | 'starting' | 'ready' | 'restarting' | 'failed' | 'closed'

export interface WorkerSupervisorEvents {
  crashed: { readonly reason: string; readonly generation: number }
  restarted: { readonly reason: string; readonly generation: number; readonly restarts: number }
  failed: { readonly reason: string; readonly attempts: number }
}

export interface WatchdogStatus {
  readonly state: SupervisorState
  /** Incarnation of the worker running now (1 for the first). */
  readonly generation: number
  readonly restarts: number
  readonly failedRestarts: number
  readonly lastCrashReason: string | null
  readonly pingsSent: number
  readonly pingTimeouts: number
  readonly workerErrors: number
  readonly messageErrors: number
}

interface Incarnation {
  readonly generation: number
  readonly worker: Worker
  readonly api: Remote<WorkerApi>
  readonly eventPort: MessagePort
  /** Aborted once this incarnation is declared dead. */
  readonly died: AbortController
}

const RESTART_BACKOFF_CAP_MS = 10_000

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: unknown): void } {
  let resolve!: () => void
  let reject!: (error: unknown) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) reject(signal.reason)
    signal.addEventListener('abort', () => reject(signal.reason), { once: true })
    work.then(resolve, reject)
  })
}

export class WorkerSupervisor extends TypedEventTarget<WorkerSupervisorEvents> {
  readonly #options: WorkerSupervisorOptions
  readonly #clock: Clock
  #init: WorkerInit
  #state: SupervisorState = 'new'
  #current: Incarnation | undefined
  #generation = 0
  #ready = deferred()
  readonly #calls: PendingCalls
  #pingTimer: Cancel | undefined
  #closing: Promise<void> | undefined
  #lastCrashReason: string | null = null
  readonly #counts = {
    pingsSent: 0,
    pingTimeouts: 0,
    workerErrors: 0,
    messageErrors: 0,
    restarts: 0,
    failedRestarts: 0,
  }

  constructor(options: WorkerSupervisorOptions) {
    super()
    this.#options = options
    this.#init = options.init
    this.#clock = options.clock ?? systemClock
    this.#calls = new PendingCalls(this.#clock)
  }

  get state(): SupervisorState {
    return this.#state
  }

  /** Spawns the first worker and initializes it. */
  async start(options: CallOptions = {}): Promise<WorkerHello> {
    if (this.#state !== 'new') throw new ClosedError('the worker supervisor was started already')
    this.#state = 'starting'
    const timeoutMs = options.timeoutMs ?? this.#options.callTimeoutMs
    try {
      const hello = await withDeadline('starting the worker', this.#spawn(), {
        timeoutMs,
        signal: options.signal,
      })
      // A restarted worker must be the same peer, whatever it would make up.
      this.#init = { ...this.#init, peerId: hello.self }
      this.#becomeReady()
      return hello
    } catch (error) {
      await this.close()
      throw error
    }
  }

  /** Runs `run` against the live worker, within the call's deadline. */
  call<T>(
    label: string,
    run: (api: Remote<WorkerApi>) => Promise<T>,
    options: CallOptions = {},
  ): Promise<T> {
    if (this.#state === 'closed' || this.#state === 'new') {
      return Promise.reject(new ClosedError(`${label}: the client is closed`))
    }
    if (this.#state === 'failed') return Promise.reject(this.#failedError(label))
    let timeoutMs: number
    try {
      timeoutMs = checkTimeoutMs('timeoutMs', options.timeoutMs ?? this.#options.callTimeoutMs)
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#calls.track<T>(
      label,
      { timeoutMs, signal: options.signal },
      (call, resolve, reject) => {
        const send = (): void => {
          if (!this.#calls.has(call)) return
          const current = this.#current
          if (this.#state !== 'ready' || current === undefined) {
            this.#ready.promise.then(send, reject)
            return
          }
          call.generation = current.generation
          run(current.api).then(resolve, reject)
        }
        send()
      },
    )
  }

  /** Test hook: kills the worker without telling anyone; the watchdog must notice. */
  terminateWorker(): void {
    this.#current?.worker.terminate()
  }

  status(): { readonly watchdog: WatchdogStatus; readonly calls: CallCounters } {
    const c = this.#counts
    return {
      watchdog: {
        state: this.#state,
        generation: this.#generation,
        restarts: c.restarts,
        failedRestarts: c.failedRestarts,
        lastCrashReason: this.#lastCrashReason,
        pingsSent: c.pingsSent,
        pingTimeouts: c.pingTimeouts,
        workerErrors: c.workerErrors,
        messageErrors: c.messageErrors,
      },
      calls: this.#calls.counters(),
    }
  }

  /** Stops the worker (politely, within the call deadline) and rejects pending calls. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    const current = this.#current
    const wasReady = this.#state === 'ready'
    this.#state = 'closed'
    this.#pingTimer?.()
    const error = new ClosedError('the client was closed')
    this.#ready.reject(error)
    this.#calls.reject(() => true, error)
    if (current === undefined) return
    if (wasReady) {
      await withDeadline('stopping the worker', current.api.stop(), {
        timeoutMs: this.#options.callTimeoutMs,
      }).catch(() => undefined)
    }
    this.#teardown(current)
  }

  async #spawn(): Promise<WorkerHello> {
    const generation = ++this.#generation
    const worker = this.#options.createWorker()
    const frames = new MessageChannel()
    const events = new MessageChannel()
    const incarnation: Incarnation = {
      generation,
      worker,
      api: wrap<WorkerApi>(worker),
      eventPort: events.port1,
      died: new AbortController(),
    }
    this.#current = incarnation
    worker.addEventListener('error', (event) => {
      // Handled here: restart. Unhandled, it would also be reported on the page.
      event.preventDefault()
      this.#counts.workerErrors += 1
      this.#declareDead(incarnation, `failed: ${event.message || 'error event'}`)
    })
    worker.addEventListener('messageerror', () => {
      this.#counts.messageErrors += 1
    })
    events.port1.onmessage = (event: MessageEvent<WorkerEvent>) => {
      if (this.#current === incarnation) this.#options.onEvent(event.data)
    }
    this.#options.framePort.connect(frames.port1)
    return untilAborted(
      incarnation.api.init(
        this.#init,
        transfer(frames.port2, [frames.port2]),
        transfer(events.port2, [events.port2]),
      ),
      incarnation.died.signal,
    )
  }

  #becomeReady(): void {
    this.#state = 'ready'
    this.#ready.resolve()
    this.#schedulePing()
  }

  #schedulePing(): void {
    this.#pingTimer?.()
    this.#pingTimer = this.#clock.setTimer(this.#options.watchdog.pingIntervalMs, () =>
      this.#ping(),
    )
  }

  #ping(): void {
    const current = this.#current
    if (this.#state !== 'ready' || current === undefined) return
    const { pingTimeoutMs } = this.#options.watchdog
    this.#counts.pingsSent += 1
    let answered = false
    const cancel = this.#clock.setTimer(pingTimeoutMs, () => {
      if (answered) return
      this.#counts.pingTimeouts += 1
      this.#declareDead(current, `did not answer a ping within ${pingTimeoutMs} ms`)
    })
    current.api.ping().then(
      () => {
        answered = true
        cancel()
        if (this.#current === current && this.#state === 'ready') this.#schedulePing()
      },
      () => undefined,
    )
  }

  #declareDead(incarnation: Incarnation, reason: string): void {
    if (this.#current !== incarnation || incarnation.died.signal.aborted) return
    const { generation } = incarnation
    const error = new WorkerCrashedError(`the replication worker ${reason}`, {
      details: { reason, generation },
    })
    incarnation.died.abort(error)
    this.#lastCrashReason = reason
    this.#teardown(incarnation)
    this.#calls.reject((call) => call.generation === generation, error)
    if (this.#state !== 'ready') return // a start or restart attempt is failing; it handles this
    this.#state = 'restarting'
    this.#ready = deferred()
    this.emit('crashed', { reason, generation })
    void this.#restart(reason)
  }

  async #restart(reason: string): Promise<void> {
    const { maxRestarts, restartBackoffMs } = this.#options.watchdog
    for (let attempt = 1; ; attempt++) {
      if (this.#state !== 'restarting') return
      try {
        await withDeadline('restarting the worker', this.#spawnAndRestore(), {
          timeoutMs: this.#options.callTimeoutMs,
        })
        if (this.#state !== 'restarting') return
        this.#counts.restarts += 1
        this.#becomeReady()
        this.emit('restarted', {
          reason,
          generation: this.#generation,
          restarts: this.#counts.restarts,
        })
        return
      } catch (error) {
        if (this.#state !== 'restarting') return
        const current = this.#current
        if (current !== undefined) this.#declareDead(current, `restart failed: ${String(error)}`)
        this.#counts.failedRestarts += 1
        if (attempt >= maxRestarts) {
          this.#giveUp(reason, attempt)
          return
        }
        const wait = Math.min(restartBackoffMs * 2 ** (attempt - 1), RESTART_BACKOFF_CAP_MS)
        await sleep(this.#clock, wait)
      }
    }
  }

  async #spawnAndRestore(): Promise<void> {
    await this.#spawn()
    const current = this.#current as Incarnation
    await untilAborted(this.#options.restore(current.api), current.died.signal)
  }

  #giveUp(reason: string, attempts: number): void {
    this.#state = 'failed'
    this.#pingTimer?.()
    const error = this.#failedError('restarting the worker')
    this.#ready.reject(error)
    this.#calls.reject(() => true, error)
    this.emit('failed', { reason, attempts })
  }

  #failedError(label: string): WorkerCrashedError {
    return new WorkerCrashedError(`${label}: the replication worker could not be restarted`, {
      details: { reason: this.#lastCrashReason, generation: this.#generation },
    })
  }

  #teardown(incarnation: Incarnation): void {
    if (this.#current === incarnation) {
      this.#pingTimer?.()
      this.#options.framePort.disconnect()
    }
    incarnation.eventPort.onmessage = null
    incarnation.eventPort.close()
    incarnation.worker.terminate()
  }
}
