/**
 * The worker's supervisor: the mesh control loop (seed 002) over this
 * worker's SyncNode, with a ControlBridge executing its actions and the
 * probes it polls each tick:
 * - locality: the last RTT the page measured per linked peer (libp2p links
 *   ping; tab links do not, and report none);
 * - health: each replica-set peer is healthy while a link to it is up,
 *   unreachable otherwise; this peer is healthy while its store is open;
 * - inventory: `navigator.storage.estimate()` (refreshed in the background,
 *   so a tick never waits on it) and the bytes each channel's log holds.
 * Linked peers are folded in as `peer-connected`/`peer-lost`. The loop's
 * immutable snapshot is what `status().control` returns, and every
 * snapshot event (throttled by the loop) goes to the page.
 */
import type { ControlAction } from '../core/control/control-actions.js'
import type { ControlConfig } from '../core/control/control-config.js'
import type { ControlHandle } from '../core/control/control-handle.js'
import { ControlLoop } from '../core/control/control-loop.js'
import type { ControlSnapshot } from '../core/control/control-snapshot.js'
import type { HealthSample, InventorySample, RttSample } from '../core/control/probes.js'
import type { EntryHasher } from '../core/log/entry-hasher.js'
import type { PeerId } from '../core/log/ids.js'
import type { LogStore } from '../core/log/log-store.js'
import { ControlBridge } from '../core/node/control-bridge.js'
import type { SyncNode } from '../core/node/sync-node.js'
import { cryptoRng } from '../core/random/rng.js'
import type { Cancel, Clock } from '../core/time/clock.js'

/** How often linked peers and the storage estimate are refreshed, ms. */
export const CONTROL_REFRESH_MS = 1_000

export type DrainOutcome = Extract<ControlAction, { kind: 'drain-finish' }>['outcome'] | 'cancelled'

export interface WorkerControlOptions {
  readonly node: SyncNode
  readonly store: LogStore
  readonly hasher: EntryHasher
  readonly clock: Clock
  /** Peers a link is up to right now (tab links and the page's links). */
  readonly linkedPeers: () => Iterable<PeerId>
  readonly config?: Partial<ControlConfig>
  readonly onSnapshot?: (snapshot: ControlSnapshot) => void
  /** `navigator.storage.estimate`, where it exists. */
  readonly estimateStorage?: () => Promise<{ usage?: number; quota?: number }>
}

export class WorkerControl {
  readonly loop: ControlLoop
  readonly bridge: ControlBridge
  readonly #options: WorkerControlOptions
  readonly #handle: ControlHandle
  readonly #rtt = new Map<PeerId, number>()
  readonly #connected = new Set<PeerId>()
  readonly #drainWaiters: ((outcome: DrainOutcome) => void)[] = []
  #estimate: { usageBytes: number; quotaBytes: number } | undefined
  #cancelRefresh: Cancel | undefined
  #stopped = false

  constructor(options: WorkerControlOptions) {
    this.#options = options
    this.loop = new ControlLoop({
      thisPeer: options.node.self,
      clock: options.clock,
      rng: cryptoRng(),
      hasher: options.hasher,
      ...(options.config === undefined ? {} : { config: options.config }),
    })
    this.bridge = new ControlBridge({
      loop: this.loop,
      node: options.node,
      onDrainFinished: (action) => this.#settleDrains(action.outcome),
    })
    this.#handle = this.loop.acquireHandle()
    const probes = this.loop.probes
    probes.addLocalityProbe({ rttSamples: () => this.#rttSamples() })
    probes.addHealthProbe({ healthSamples: () => this.#healthSamples() })
    probes.addInventoryProbe({ inventorySamples: () => this.#inventorySamples() })
    if (options.onSnapshot !== undefined) {
      const onSnapshot = options.onSnapshot
      this.loop.on('snapshot', (e) => onSnapshot(e.detail))
    }
  }

  start(): void {
    this.loop.start()
    this.bridge.start()
    this.#refresh()
  }

  snapshot(): ControlSnapshot {
    return this.loop.snapshot()
  }

  /** The page measured these round trips (e.g. libp2p link pings). */
  reportRtt(samples: readonly { readonly peer: PeerId; readonly rttMs: number }[]): void {
    for (const { peer, rttMs } of samples) {
      if (Number.isFinite(rttMs) && rttMs >= 0) this.#rtt.set(peer, rttMs)
    }
  }

  /**
   * Hands off every leadership and stops standing for election; resolves
   * with the drain's outcome (`cancelled` if `cancelDrain` came first).
   */
  drain(reason: 'tab-closing' | 'local', deadlineMs?: number): Promise<DrainOutcome> {
    // A drain that already ended is not redone (the loop ignores the request).
    const phase = this.loop.snapshot().maintenance.phase
    if (phase === 'drained') return Promise.resolve('drained')
    if (phase === 'drain-failed') return Promise.resolve('deadline-exceeded')
    const outcome = new Promise<DrainOutcome>((resolve) => this.#drainWaiters.push(resolve))
    this.#publish({
      type: 'drain-requested',
      reason,
      ...(deadlineMs === undefined ? {} : { deadlineMs }),
    })
    return outcome
  }

  cancelDrain(): void {
    this.#publish({ type: 'drain-cancelled' })
    this.#settleDrains('cancelled')
  }

  async stop(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    this.#cancelRefresh?.()
    this.#handle.close()
    await this.loop.stop()
    await this.bridge.stop()
    this.#settleDrains('cancelled')
  }

  #publish(event: Parameters<ControlHandle['tryPublish']>[0]): void {
    try {
      this.#handle.tryPublish(event)
    } catch {
      // Full or closed: the loop counted the refusal.
    }
  }

  #settleDrains(outcome: DrainOutcome): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve(outcome)
  }

  /** Folds link changes in and starts a storage estimate; again every CONTROL_REFRESH_MS. */
  #refresh(): void {
    if (this.#stopped) return
    const linked = new Set(this.#options.linkedPeers())
    for (const peer of linked) {
      if (!this.#connected.has(peer)) this.#publish({ type: 'peer-connected', peer })
    }
    for (const peer of this.#connected) {
      if (!linked.has(peer)) {
        this.#publish({ type: 'peer-lost', peer })
        this.#rtt.delete(peer)
      }
    }
    this.#connected.clear()
    for (const peer of linked) this.#connected.add(peer)
    void this.#estimateStorage()
    this.#cancelRefresh = this.#options.clock.setTimer(CONTROL_REFRESH_MS, () => this.#refresh())
  }

  async #estimateStorage(): Promise<void> {
    const estimate = this.#options.estimateStorage
    if (estimate === undefined) return
    try {
      const { usage, quota } = await estimate()
      if (typeof usage !== 'number' || typeof quota !== 'number' || quota <= 0) return
      this.#estimate = { usageBytes: usage, quotaBytes: quota }
      this.#publish({ type: 'storage-estimate', usageBytes: usage, quotaBytes: quota })
    } catch {
      // No estimate this time; the inventory keeps the last one.
    }
  }

  #rttSamples(): RttSample[] {
    return [...this.#rtt].map(([peer, rttMs]) => ({ peer, rttMs }))
  }

  #healthSamples(): HealthSample[] {
    const { node, store } = this.#options
    const samples: HealthSample[] = [
      { peer: node.self, health: store.isOpen ? 'healthy' : 'degraded' },
    ]
    const members = new Set<PeerId>()
    for (const channel of node.node.channels) {
      for (const peer of node.channelOptions(channel)?.replicaSet ?? []) members.add(peer)
    }
    for (const peer of [...members].sort()) {
      if (peer === node.self) continue
      samples.push({ peer, health: this.#connected.has(peer) ? 'healthy' : 'unreachable' })
    }
    return samples
  }

  #inventorySamples(): InventorySample[] {
    const { node, store } = this.#options
    const logBytes: Record<string, number> = {}
    for (const channel of node.node.channels) logBytes[channel] = store.state(channel).payloadBytes
    return [
      {
        peer: node.self,
        inventory: {
          logBytes,
          ...(this.#estimate === undefined
            ? {}
            : {
                storageUsageBytes: this.#estimate.usageBytes,
                storageQuotaBytes: this.#estimate.quotaBytes,
              }),
        },
      },
    ]
  }
}
