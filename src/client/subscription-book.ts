/**
 * Every live subscription of one client: opening them in the worker,
 * ending them on both sides, and re-opening them in a restarted worker
 * from where each one stopped.
 */
import type { Remote } from 'comlink'
import { ClosedError } from '../core/errors.js'
import type { ChannelId } from '../core/log/ids.js'
import type { WorkerApi } from '../rpc/worker-api.js'
import type { CallOptions } from './call-deadline.js'
import { WorkerCrashedError } from './client-errors.js'
import { ClientSubscription, type EntriesHandler, type LogReset } from './client-subscription.js'
import type { WorkerSupervisor } from './worker-supervisor.js'

export class SubscriptionBook {
  readonly #supervisor: WorkerSupervisor
  readonly #onHandlerError: (error: unknown) => void
  readonly #subscriptions = new Set<ClientSubscription>()

  constructor(supervisor: WorkerSupervisor, onHandlerError: (error: unknown) => void) {
    this.#supervisor = supervisor
    this.#onHandlerError = onHandlerError
  }

  get size(): number {
    return this.#subscriptions.size
  }

  async add(
    channel: ChannelId,
    from: number | 'tail',
    onEntries: EntriesHandler,
    onReset: ((reset: LogReset) => void) | undefined,
    options: CallOptions,
  ): Promise<ClientSubscription> {
    const subscription = new ClientSubscription(
      channel,
      from,
      onEntries,
      onReset,
      this.#onHandlerError,
    )
    this.#subscriptions.add(subscription)
    try {
      const started = await this.#supervisor.call(
        'subscribe',
        (api) => api.subscribe(channel, from, subscription.callback),
        options,
      )
      subscription.accepted(started.id, started.from)
      return subscription
    } catch (error) {
      subscription.active = false
      this.#subscriptions.delete(subscription)
      throw error
    }
  }

  /** Ends a subscription here and in the worker (which releases the page's callback). */
  async remove(subscription: ClientSubscription, options: CallOptions): Promise<void> {
    subscription.active = false
    if (!this.#subscriptions.delete(subscription)) return
    const id = subscription.workerId
    if (id === undefined) return
    await this.#supervisor
      .call('unsubscribe', (api) => api.unsubscribe(id), options)
      .catch((error: unknown) => {
        // A dead worker took the subscription with it; a closed client has none left.
        if (!(error instanceof ClosedError) && !(error instanceof WorkerCrashedError)) throw error
      })
  }

  /** Re-opens every started subscription in a restarted worker, from its cursor. */
  async restore(api: Remote<WorkerApi>): Promise<void> {
    for (const subscription of this.#subscriptions) {
      if (!subscription.started || !subscription.active) continue
      const started = await api.subscribe(
        subscription.channel,
        subscription.resumeFrom,
        subscription.callback,
      )
      subscription.accepted(started.id, started.from)
    }
  }

  /** Stops delivering to every handler (the client is closing). */
  endAll(): void {
    for (const subscription of this.#subscriptions) subscription.active = false
    this.#subscriptions.clear()
  }
}
