/**
 * The tasks a component owns, so `stop()` can drain them within a deadline
 * and then abort the rest (seed 003: "shutdown_with_timeout(2 s)", forced
 * aborts reported, not fatal). A task gets an AbortSignal that fires only on
 * that forced abort; its promise is raced against the signal, so an aborted
 * task leaves the group at once even if its work ignores the signal.
 */
import { AbortedError, ClosedError, TimeoutError } from '../errors.js'
import type { Clock } from '../time/clock.js'
import { raceAbort } from './abort-signals.js'

export interface ShutdownReport {
  /** True when every task finished on its own before the deadline. */
  readonly drained: boolean
  /** Names of the tasks that were still running at the deadline and were aborted. */
  readonly abortedTasks: readonly string[]
}

interface RunningTask {
  readonly name: string
  readonly controller: AbortController
}

export class TaskGroup {
  readonly name: string
  readonly #clock: Clock
  readonly #running = new Set<RunningTask>()
  #idleWaiters: (() => void)[] = []
  #closed = false
  #shutdown: Promise<ShutdownReport> | undefined

  constructor(clock: Clock, name: string) {
    this.#clock = clock
    this.name = name
  }

  get size(): number {
    return this.#running.size
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** Names of the tasks still running, oldest first. */
  activeTasks(): string[] {
    return [...this.#running].map((t) => t.name)
  }

  /**
   * Runs `work` as a task of this group. The returned promise settles with the
   * work, or rejects with AbortedError when the group force-aborts it; it is
   * safe to ignore (its rejection is never reported as unhandled).
   */
  spawn<T>(name: string, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (this.#closed) {
      const refused = Promise.reject<T>(
        new ClosedError(`task group ${this.name} is shut down`, {
          details: { group: this.name, task: name },
        }),
      )
      refused.catch(() => {})
      return refused
    }
    const task: RunningTask = { name, controller: new AbortController() }
    this.#running.add(task)
    let started: Promise<T>
    try {
      started = work(task.controller.signal)
    } catch (error) {
      started = Promise.reject(error)
    }
    const tracked = raceAbort(started, task.controller.signal)
    const settled = () => {
      this.#running.delete(task)
      if (this.#running.size === 0) this.#notifyIdle()
    }
    tracked.then(settled, settled)
    tracked.catch(() => {})
    return tracked
  }

  /** Resolves when no task runs; rejects with TimeoutError after `timeoutMs`. */
  waitForIdle(timeoutMs: number): Promise<void> {
    if (this.#running.size === 0) return Promise.resolve()
    return new Promise<void>((resolve, reject) => {
      const onIdle = () => {
        cancel()
        resolve()
      }
      const cancel = this.#clock.setTimer(timeoutMs, () => {
        this.#idleWaiters = this.#idleWaiters.filter((w) => w !== onIdle)
        reject(
          new TimeoutError(`task group ${this.name} still busy after ${timeoutMs} ms`, {
            details: { group: this.name, timeoutMs, activeTasks: this.activeTasks() },
          }),
        )
      })
      this.#idleWaiters.push(onIdle)
    })
  }

  /**
   * Refuses new tasks, lets running ones finish for up to `timeoutMs`, then
   * aborts the rest. Idempotent: later calls share the first call's report.
   */
  shutdown(timeoutMs: number): Promise<ShutdownReport> {
    this.#closed = true
    this.#shutdown ??= this.#drainThenAbort(timeoutMs)
    return this.#shutdown
  }

  async #drainThenAbort(timeoutMs: number): Promise<ShutdownReport> {
    try {
      await this.waitForIdle(timeoutMs)
      return { drained: true, abortedTasks: [] }
    } catch {
      const stragglers = [...this.#running]
      for (const task of stragglers) {
        task.controller.abort(
          new AbortedError(`task ${task.name} aborted: ${this.name} did not drain in time`, {
            details: { group: this.name, task: task.name, timeoutMs },
          }),
        )
      }
      // Aborted tasks leave the group as their raced promises settle.
      await new Promise<void>((resolve) => {
        if (this.#running.size === 0) resolve()
        else this.#idleWaiters.push(resolve)
      })
      return { drained: false, abortedTasks: stragglers.map((t) => t.name) }
    }
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters
    this.#idleWaiters = []
    for (const wake of waiters) wake()
  }
}
