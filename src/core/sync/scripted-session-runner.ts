/**
 * A SessionRunner for tests and the simulator: every `run` call is recorded
 * and stays pending until the test settles it, so a test decides exactly
 * when (in ManualClock time) each session completes, fails or hangs.
 */
import type { PeerId } from '../log/ids.js'
import type { SessionJob, SessionOutcome, SessionRunner } from './session-job.js'

export interface ScriptedRun<Inbound = unknown> {
  readonly job: SessionJob<Inbound>
  readonly signal: AbortSignal
  /** Completes the session; the peer defaults to the job's peer or `fallbackPeer`. */
  succeed(outcome?: Partial<SessionOutcome>): void
  fail(error: unknown): void
  readonly settled: boolean
}

export interface ScriptedRunnerOptions {
  /** The peer a run reports when neither the job nor `succeed` names one. */
  readonly fallbackPeer: PeerId
  /** When true (default), a run rejects with the signal's reason as it aborts. */
  readonly honourSignal?: boolean
  /** Throw synchronously from `run` instead of returning a promise. */
  readonly throwSynchronously?: Error
  readonly start?: () => Promise<void>
  readonly stop?: () => Promise<void>
}

export class ScriptedRunner<Inbound = unknown> implements SessionRunner<Inbound> {
  readonly runs: ScriptedRun<Inbound>[] = []
  readonly #options: ScriptedRunnerOptions
  start?: () => Promise<void>
  stop?: () => Promise<void>

  constructor(options: ScriptedRunnerOptions) {
    this.#options = options
    if (options.start !== undefined) this.start = options.start
    if (options.stop !== undefined) this.stop = options.stop
  }

  /** Runs not yet settled, oldest first. */
  pending(): ScriptedRun<Inbound>[] {
    return this.runs.filter((r) => !r.settled)
  }

  run(job: SessionJob<Inbound>, signal: AbortSignal): Promise<SessionOutcome> {
    if (this.#options.throwSynchronously !== undefined) throw this.#options.throwSynchronously
    return new Promise<SessionOutcome>((resolve, reject) => {
      let settled = false
      const settle = () => {
        settled = true
      }
      const fallbackPeer = this.#options.fallbackPeer
      this.runs.push({
        job,
        signal,
        get settled() {
          return settled
        },
        succeed(outcome = {}) {
          settle()
          resolve({
            peer: outcome.peer ?? job.peer ?? fallbackPeer,
            entriesReceived: outcome.entriesReceived ?? 0,
            entriesSent: outcome.entriesSent ?? 0,
          })
        },
        fail(error) {
          settle()
          reject(error)
        },
      })
      if (this.#options.honourSignal ?? true) {
        signal.addEventListener(
          'abort',
          () => {
            settle()
            reject(signal.reason)
          },
          { once: true },
        )
      }
    })
  }
}
