/**
 * The control loop's hands and eyes on one SyncNode: it publishes what the
 * node does (channels opened and closed, runtimes started and stopped, role
 * and leader changes) as control events, and executes the loop's actions on
 * the node (runtimes, replica sets, sync sessions, leadership hand-offs,
 * drain). The worker and the simulator run the same bridge. An action it
 * cannot carry out is reported back as `action-failed`, so the loop records
 * it and derives it again later.
 *
 * Dialing belongs to the shell that owns the transport (the page's libp2p
 * node): without a `dial` callback, dial actions fail with `no-dialer`.
 * Storage withdrawal needs a runtime API that does not exist yet; withdraw
 * and rejoin fail with `unsupported`.
 */
import type { ControlAction, PendingAction } from '../control/control-actions.js'
import type { ControlHandle } from '../control/control-handle.js'
import type { ControlLoop } from '../control/control-loop.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import type { Logger } from '../logger.js'
import { silentLogger } from '../logger.js'
import type { ChannelOptions } from './peer-node.js'
import type { SyncNode } from './sync-node.js'

export interface ControlBridgeOptions {
  readonly loop: ControlLoop
  readonly node: SyncNode
  readonly logger?: Logger
  /** Asks the transport to connect to `peer`; rejects when it cannot. */
  readonly dial?: (peer: PeerId) => Promise<void>
  /** Options for a runtime the loop starts on its own (an admin-defined channel). */
  readonly channelDefaults?: Omit<ChannelOptions, 'replicaSet'>
  /** The loop finished a drain: the peer may leave now. */
  readonly onDrainFinished?: (action: Extract<ControlAction, { kind: 'drain-finish' }>) => void
}

export interface ControlBridgeCounts {
  executed: number
  failed: number
  handoffsSent: number
  syncsStarted: number
}

export class ControlBridge {
  readonly counts: ControlBridgeCounts = {
    executed: 0,
    failed: 0,
    handoffsSent: 0,
    syncsStarted: 0,
  }
  readonly #options: ControlBridgeOptions
  readonly #logger: Logger
  readonly #offs: (() => void)[] = []
  #handle: ControlHandle | undefined
  #executor: Promise<void> | undefined
  #standing = true

  constructor(options: ControlBridgeOptions) {
    this.#options = options
    this.#logger = options.logger ?? silentLogger
  }

  /** Subscribes to the node and starts executing actions. Idempotent. */
  start(): void {
    if (this.#handle !== undefined) return
    const { loop, node } = this.#options
    const handle = loop.acquireHandle()
    this.#handle = handle
    const peer = node.node
    this.#offs.push(
      peer.on('channel-opened', (e) => {
        const { channel, replicaSet } = e.detail
        this.#publish({ type: 'channel-opened', channel, replicaSet })
        this.#publish({ type: 'runtime-started', channel })
        peer.runtime(channel)?.setStanding(this.#standing)
        this.#publishRole(channel)
      }),
      peer.on('channel-closed', (e) => {
        this.#publish({ type: 'runtime-stopped', channel: e.detail.channel })
      }),
      peer.on('role-changed', (e) => this.#publishRole(e.detail.channel)),
      peer.on('leader-changed', (e) => this.#publishRole(e.detail.channel)),
    )
    for (const channel of peer.channels) {
      const replicaSet = node.channelOptions(channel)?.replicaSet
      this.#publish({
        type: 'channel-opened',
        channel,
        ...(replicaSet === undefined ? {} : { replicaSet }),
      })
      this.#publish({ type: 'runtime-started', channel })
      this.#publishRole(channel)
    }
    this.#executor = this.#execute()
  }

  /** Tells the loop the app closed `channel` (its runtime stops through the loop). */
  channelClosed(channel: ChannelId): void {
    this.#publish({ type: 'channel-closed', channel })
  }

  /** Stops listening; the executor ends once the loop has. */
  async stop(): Promise<void> {
    for (const off of this.#offs.splice(0)) off()
    this.#handle?.close()
    await this.#executor
  }

  #publish(event: Parameters<ControlHandle['tryPublish']>[0]): void {
    try {
      this.#handle?.tryPublish(event)
    } catch (error) {
      // Full or closed: the loop counts what it refused; the next fact supersedes this one.
      this.#logger.debug('control event not published', { type: event.type, error: String(error) })
    }
  }

  #publishRole(channel: ChannelId): void {
    const runtime = this.#options.node.node.runtime(channel)
    if (runtime === undefined) return
    const role = runtime.role
    const leader = role === 'leader' ? this.#options.node.self : runtime.believedLeader
    this.#publish({
      type: 'role-changed',
      channel,
      role,
      ...(leader === undefined ? {} : { leader }),
    })
  }

  async #execute(): Promise<void> {
    const { loop } = this.#options
    for (
      let next = await loop.actions.next();
      next !== undefined;
      next = await loop.actions.next()
    ) {
      try {
        await this.#run(next)
        this.counts.executed += 1
      } catch (error) {
        this.#fail(next, error instanceof Error ? error.message : String(error))
      }
    }
  }

  #fail(pending: PendingAction, reason: string): void {
    this.counts.failed += 1
    this.#publish({ type: 'action-failed', action: pending, reason: reason.slice(0, 200) })
  }

  async #run(pending: PendingAction): Promise<void> {
    const { node } = this.#options
    const action = pending.action
    switch (action.kind) {
      case 'start-runtime': {
        const open = node.channelOptions(action.channel)
        if (open !== undefined && node.node.channels.includes(action.channel)) {
          // Already running (the app opened it, and may have changed its set in
          // place since): confirm it rather than reopen it with an older set.
          this.#publish({
            type: 'channel-opened',
            channel: action.channel,
            replicaSet: open.replicaSet,
          })
          this.#publish({ type: 'runtime-started', channel: action.channel })
          this.#publishRole(action.channel)
          return
        }
        const current = open ?? this.#options.channelDefaults ?? {}
        await node.open(action.channel, { ...current, replicaSet: action.replicaSet })
        return
      }
      case 'apply-replica-set': {
        const current = node.channelOptions(action.channel) ?? this.#options.channelDefaults ?? {}
        await node.open(action.channel, { ...current, replicaSet: action.replicaSet })
        return
      }
      case 'stop-runtime':
        await node.node.close(action.channel)
        return
      case 'dial-peer': {
        const dial = this.#options.dial
        if (dial === undefined) throw new Error('no-dialer')
        await dial(action.peer)
        return
      }
      case 'start-sync':
        this.counts.syncsStarted += 1
        // A session takes round trips; the executor does not wait for it.
        node.requestSync(action.channel, action.peer).then(
          (result) => {
            if (result.status !== 'ok') this.#fail(pending, `sync ${result.status}`)
          },
          (error: unknown) => this.#fail(pending, `sync ${String(error)}`),
        )
        return
      case 'hand-off-leadership': {
        const runtime = node.node.runtime(action.channel)
        if (runtime === undefined) throw new Error('no-runtime')
        const started = await runtime.handOff(action.to)
        if (started.status !== 'sent') throw new Error(`hand-off ${started.reason}`)
        this.counts.handoffsSent += 1
        return
      }
      case 'drain-start':
        this.#setStanding(false)
        return
      case 'drain-exit':
        this.#setStanding(true)
        return
      case 'drain-finish':
        this.#options.onDrainFinished?.(action)
        return
      case 'withdraw':
      case 'rejoin':
        throw new Error('unsupported')
    }
  }

  #setStanding(standing: boolean): void {
    this.#standing = standing
    const peer = this.#options.node.node
    for (const channel of peer.channels) peer.runtime(channel)?.setStanding(standing)
  }
}
