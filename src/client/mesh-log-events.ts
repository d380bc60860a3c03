/** The events a MeshLog emits and the status it reports. */
import type { ControlSnapshot } from '../core/control/control-snapshot.js'
import type { Entry } from '../core/log/entry.js'
import type { ChannelId, PeerId } from '../core/log/ids.js'
import type { LinkKind } from '../core/transport/link.js'
import type { ForwardedEvents, WorkerStatus } from '../rpc/worker-api.js'
import type { CommittedWriteEvent } from './commit-waiter.js'
import type { MeshTransportStatus } from './mesh-transport.js'
import type { CallCounters } from './pending-calls.js'
import type { WatchdogStatus } from './worker-supervisor.js'

/**
 * From the worker, per channel: `role-changed` {from, to}, `leader-changed`
 * {leader} (undefined: none known), `catch-up-progress` {from, tailSeq,
 * appliedEntries}, `log-reset` {firstSeq, nextSeq} (the local log skipped
 * ahead or lost its tail: re-read what you show), `writes-committed`
 * {writes} (writes of this peer's outbox are now in its log),
 * `writes-reproposed` {fromSeq, toSeq, count} (divergence: entries cut from
 * the local log went back into the outbox). And from the client:
 */
export interface MeshLogEvents extends ForwardedEvents {
  /** One write appended here as pending is now committed (one event per write). */
  committed: CommittedWriteEvent
  /** New entries of an open channel, in order, in batches (see `open`'s `entryEvents`). */
  entry: { readonly channel: ChannelId; readonly entries: readonly Entry[] }
  /** The worker died or hung; pending calls rejected with WorkerCrashedError. */
  'worker-crashed': { readonly reason: string; readonly generation: number }
  /** A new worker runs, channels and subscriptions restored from IndexedDB. */
  'worker-restarted': {
    readonly reason: string
    readonly generation: number
    readonly restarts: number
  }
  /** Restarting failed `maxRestarts` times in a row; the client is unusable. */
  'worker-failed': { readonly reason: string; readonly attempts: number }
  /** The worker's control loop took a new snapshot (at most every 250 ms; see `status().control`). */
  snapshot: ControlSnapshot
}

export interface ClientCounters extends CallCounters {
  /** Live subscriptions, the `entry` feeds of open channels included. */
  readonly subscriptions: number
  /** Errors thrown by `subscribe` handlers (logged with console.error, then ignored). */
  readonly handlerErrors: number
}

export interface MeshLogStatus extends WorkerStatus {
  readonly namespace: string
  readonly slot: number
  /** Links the page holds (tabs, libp2p streams, test links). */
  readonly pageLinks: readonly { readonly peer: PeerId; readonly kind: LinkKind }[]
  readonly client: ClientCounters
  readonly watchdog: WatchdogStatus
  /**
   * With the `mesh` option: relay state, room members with their link kind
   * (`webrtc` direct, `relayed` through the relay) and RTT, dial counters.
   */
  readonly mesh?: MeshTransportStatus
}
