/**
 * The network side's entry point (seed 001's ReplicationInboundRouter):
 * given a decoded frame and its channel, hand it to that channel's runtime
 * without waiting. `tryRoute` returns false, and the caller keeps the
 * event to drop or log, when no runtime is registered, the runtime has
 * stopped or its inbox lane is full; each case is counted. Heartbeats and
 * the next request recover whatever was dropped.
 */
import { InvalidArgumentError } from '../errors.js'
import type { ChannelId } from '../log/ids.js'
import { DropCounter } from '../queue/drop-counter.js'
import type { Inbound } from './inbound.js'
import type { PushResult } from './inbox.js'

export const ROUTE_DROP_REASONS = ['no-runtime', 'inbox-full', 'stopped'] as const
export type RouteDropReason = (typeof ROUTE_DROP_REASONS)[number]

/** What the router needs of a runtime. */
export interface RoutableRuntime {
  tryDispatch(event: Inbound): PushResult
  readonly isStopped: boolean
}

export class ReplicationInboundRouter {
  readonly drops = new DropCounter(ROUTE_DROP_REASONS)
  readonly #runtimes = new Map<ChannelId, RoutableRuntime>()

  get size(): number {
    return this.#runtimes.size
  }

  /** Registers the channel's runtime; returns a function that unregisters it. */
  register(channel: ChannelId, runtime: RoutableRuntime): () => void {
    const current = this.#runtimes.get(channel)
    if (current !== undefined && current !== runtime && !current.isStopped) {
      throw new InvalidArgumentError('a runtime is already registered for this channel', {
        details: { channel },
      })
    }
    this.#runtimes.set(channel, runtime)
    return () => this.unregister(channel, runtime)
  }

  /** Forgets the channel's runtime (only `runtime`, when given). */
  unregister(channel: ChannelId, runtime?: RoutableRuntime): void {
    if (runtime === undefined || this.#runtimes.get(channel) === runtime) {
      this.#runtimes.delete(channel)
    }
  }

  tryRoute(channel: ChannelId, inbound: Inbound): boolean {
    const runtime = this.#runtimes.get(channel)
    if (runtime === undefined) {
      this.drops.record('no-runtime')
      return false
    }
    if (runtime.isStopped) {
      // A cancelled runtime holds nothing worth keeping a reference to.
      this.#runtimes.delete(channel)
      this.drops.record('stopped')
      return false
    }
    const result = runtime.tryDispatch(inbound)
    if (result === 'queued') return true
    this.drops.record(result === 'full' ? 'inbox-full' : 'stopped')
    return false
  }
}
