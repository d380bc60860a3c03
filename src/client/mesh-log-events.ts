/** The events a MeshLog emits and the status it reports. */
import type { Entry } from '../core/log/entry.js'
import type { ChannelId, PeerId, Seq } from '../core/log/ids.js'
import type { ReplicaRole } from '../core/replication/messages.js'
import type { LinkKind } from '../core/transport/link.js'
import type { WorkerStatus } from '../rpc/worker-api.js'
import type { CallCounters, WatchdogStatus } from './worker-supervisor.js'

export interface MeshLogEvents {
  /** New entries of an open channel, in order, in batches (see `open`'s `entryEvents`). */
  entry: { readonly channel: ChannelId; readonly entries: readonly Entry[] }
  'role-changed': {
    readonly channel: ChannelId
    readonly from: ReplicaRole
    readonly to: ReplicaRole
  }
  /** The leader this peer follows changed (undefined: none known). */
  'leader-changed': { readonly channel: ChannelId; readonly leader: PeerId | undefined }
  'catch-up-progress': {
    readonly channel: ChannelId
    readonly from: PeerId
    readonly tailSeq: Seq
    readonly appliedEntries: number
  }
  /** The local log skipped ahead or lost its tail; re-read what you show. */
  'log-reset': { readonly channel: ChannelId; readonly firstSeq: Seq; readonly nextSeq: Seq }
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
}

export interface ClientCounters extends CallCounters {
  readonly subscriptions: number
  /** Errors thrown by `subscribe` handlers and `entry` listeners (logged, then ignored). */
  readonly handlerErrors: number
}

export interface MeshLogStatus extends WorkerStatus {
  readonly namespace: string
  readonly slot: number
  /** Links the page holds (tabs, libp2p streams, test links). */
  readonly pageLinks: readonly { readonly peer: PeerId; readonly kind: LinkKind }[]
  readonly client: ClientCounters
  readonly watchdog: WatchdogStatus
}
