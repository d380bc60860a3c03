/**
 * Recovery handlers run once per tick, after probes and before reconcile
 * (seed 002, X-13): probes refresh the view of who is healthy, handlers
 * report what they found broken as facts (a runtime that died, a peer that is
 * gone), and the same tick's reconcile repairs it. Handlers are installed
 * from outside and isolated like probes; their output per tick is bounded.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { Logger } from '../logger.js'
import type { ControlEvent, PeerHealth } from './control-events.js'
import type { RuntimeState } from './control-state.js'

/** Facts a handler may report. */
export type RecoveryEvent = Extract<
  ControlEvent,
  { type: 'runtime-stopped' | 'role-changed' | 'peer-lost' | 'peer-health' }
>

/** A read-only view of the state a handler judges. */
export interface RecoveryView {
  readonly now: number
  readonly thisPeer: PeerId
  readonly connected: ReadonlySet<PeerId>
  readonly health: ReadonlyMap<PeerId, PeerHealth>
  readonly runtimes: ReadonlyMap<ChannelId, Readonly<RuntimeState>>
}

export interface RecoveryHandler {
  readonly name: string
  recover(view: RecoveryView): readonly RecoveryEvent[]
}

export interface RecoveryOutcome {
  readonly events: readonly RecoveryEvent[]
  readonly failedHandlers: number
  /** Events dropped: past the per-tick limit, or of a type a handler may not report. */
  readonly dropped: number
}

const RECOVERY_EVENT_TYPES = new Set<unknown>([
  'runtime-stopped',
  'role-changed',
  'peer-lost',
  'peer-health',
])

export class RecoveryRegistry {
  #handlers: RecoveryHandler[] = []

  register(handler: RecoveryHandler): void {
    this.#handlers = [...this.#handlers, handler]
  }

  unregister(name: string): void {
    this.#handlers = this.#handlers.filter((h) => h.name !== name)
  }

  get size(): number {
    return this.#handlers.length
  }

  /** Runs every handler in registration order; a throwing handler is skipped and counted. */
  runAll(view: RecoveryView, limit: number, logger: Logger): RecoveryOutcome {
    const events: RecoveryEvent[] = []
    let failedHandlers = 0
    let dropped = 0
    for (const handler of this.#handlers) {
      let reported: readonly RecoveryEvent[]
      try {
        reported = handler.recover(view)
        if (!Array.isArray(reported)) throw new TypeError('recover() did not return an array')
      } catch (error) {
        failedHandlers++
        logger.error('recovery handler failed; skipped this tick', {
          handler: handler.name,
          error: String(error),
        })
        continue
      }
      for (const event of reported) {
        if (events.length < limit && RECOVERY_EVENT_TYPES.has(event?.type)) events.push(event)
        else dropped++
      }
    }
    return { events, failedHandlers, dropped }
  }
}
