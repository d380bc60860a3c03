/**
 * The control API the replication worker exposes through Comlink, and the
 * plain, cloneable shapes that cross with it. Network frames never use this
 * API: they travel on the dedicated frame port (frame-port-protocol.ts).
 *
 * A subscription's `deliver` callback arrives in the worker as a Comlink
 * proxy: calling it posts to the page and resolves when the page's function
 * has returned, which is how delivery feels backpressure; the worker
 * releases it when the subscription ends. Events (role changes and the like)
 * need no answer, so they go one way on their own MessagePort.
 */
import type { releaseProxy } from 'comlink'
import type { ControlSnapshot } from '../core/control/control-snapshot.js'
import type { Entry } from '../core/log/entry.js'
import type { ChannelId, PeerId, Seq } from '../core/log/ids.js'
import type { WriteKey } from '../core/log/log-store.js'
import type { ChannelStatus, PeerNodeEvents, WriteState } from '../core/node/peer-node.js'
import type { DiskPressurePolicy } from '../core/replication/disk-pressure.js'
import type { BandwidthClass } from '../core/replication/messages.js'
import type { LinkKind } from '../core/transport/link.js'
import type { IdbLogStoreMetrics } from '../storage/idb-log-store.js'
import type { SyncStatus } from '../worker/sync-status.js'
import type { DrainOutcome } from '../worker/worker-control.js'
import type { PayloadBatch } from './payload-batch.js'

/** What the page tells a freshly spawned worker. */
export interface WorkerInit {
  /** The IndexedDB database holding this slot's logs. */
  readonly databaseName: string
  /** The IndexedDB database remembering each slot's peer id. */
  readonly identityDatabaseName: string
  /** The slot's key in the identity database, e.g. `meshlog-slot-0`. */
  readonly slotName: string
  /** Use this peer id instead of the one remembered for the slot (not stored). */
  readonly peerId?: string
  /**
   * Signed entries: the slot's libp2p Ed25519 key (kept in `keyDatabaseName`)
   * is the peer's identity, signs its writes, and every entry taken from
   * others must carry its author's valid signature. Absent: off.
   */
  readonly signing?: {
    readonly keyDatabaseName: string
    /** Consecutive writes one signature covers (default DEFAULT_GROUP_SIZE). */
    readonly groupSize?: number
  }
  readonly heartbeatMs?: number
  /** Link same-origin tabs (worker to worker, over BroadcastChannel); absent: do not. */
  readonly tabLinks?: {
    readonly channelName: string
    readonly heartbeatMs?: number
    readonly timeoutMs?: number
  }
}

export interface WorkerHello {
  readonly self: PeerId
}

/** Per-channel options, as they cross to the worker. */
export interface WorkerChannelOptions {
  readonly replicaSet: readonly string[]
  readonly heartbeatMs?: number
  readonly chunkMax?: number
  readonly peakBytesPerSecond?: number
  readonly bandwidthClass?: BandwidthClass
  readonly diskPressurePolicy?: DiskPressurePolicy
}

/** The node's events the worker forwards to the page, as they happen. */
export type ForwardedEvents = Pick<
  PeerNodeEvents,
  | 'role-changed'
  | 'leader-changed'
  | 'catch-up-progress'
  | 'log-reset'
  | 'writes-committed'
  | 'writes-reproposed'
>
export const FORWARDED_EVENTS = [
  'role-changed',
  'leader-changed',
  'catch-up-progress',
  'log-reset',
  'writes-committed',
  'writes-reproposed',
] as const satisfies readonly (keyof ForwardedEvents)[]

export type WorkerEvent =
  | {
      [K in keyof ForwardedEvents]: { readonly type: K; readonly detail: ForwardedEvents[K] }
    }[keyof ForwardedEvents]
  /** The control loop's latest snapshot, throttled by the loop. */
  | { readonly type: 'snapshot'; readonly detail: ControlSnapshot }

/** One subscription's next step: entries in order, or a jump of the local log. */
export type Delivery =
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  /** The log skipped ahead or lost its tail; delivery resumes at `nextSeq` (or `firstSeq`). */
  | {
      readonly kind: 'reset'
      readonly firstSeq: Seq
      readonly nextSeq: Seq
      readonly resumeAt: Seq
    }

/** A Comlink proxy of a page function, as the worker holds it. */
export type PageCallback<T> = ((value: T) => Promise<void>) & { [releaseProxy]?: () => void }

/** A chunk of a read, with the channel's bounds at the time of reading. */
export interface ReadChunk {
  readonly entries: readonly Entry[]
  readonly firstSeq: Seq
  readonly nextSeq: Seq
}

export interface ReadLimits {
  readonly maxEntries: number
  readonly maxBytes: number
}

/** A channel's local log, whether or not it is open. */
export interface StoredChannel {
  readonly channel: ChannelId
  readonly firstSeq: Seq
  readonly nextSeq: Seq
  readonly payloadBytes: number
}

export interface WorkerStatus {
  readonly self: PeerId
  readonly channels: readonly ChannelStatus[]
  readonly routeDrops: Readonly<Record<string, number>>
  readonly decodeRejects: Readonly<Record<string, number>>
  /** Frames the worker's frame port refused, by reason (the runtimes count them too). */
  readonly framePortRefusals: Readonly<Record<string, number>>
  /** Links the worker knows about (announced by the page). */
  readonly links: readonly { readonly peer: PeerId; readonly kind: LinkKind }[]
  readonly subscriptions: {
    readonly active: number
    readonly deliveries: number
    /** Subscriptions ended because the page did not take a delivery in time. */
    readonly timedOut: number
  }
  readonly store: IdbLogStoreMetrics
  /** The mesh control loop's latest immutable snapshot (peers, channels, drain, counters). */
  readonly control: ControlSnapshot
  /** The sync manager, its session actor, the session protocol and the verifier. */
  readonly sync: SyncStatus
}

/** Committed by this peer as leader: the entries took `[firstSeq, nextSeq)`. */
export interface AppendedRange {
  readonly firstSeq: Seq
  readonly nextSeq: Seq
}

/**
 * Durable in this peer's outbox, not yet committed: writes `pending.authorSeq`
 * to `pending.authorSeq + count - 1` of `pending.author` will be, exactly once.
 */
export interface PendingRange {
  readonly pending: WriteKey
  readonly count: number
}

export type AppendReceipt = AppendedRange | PendingRange

/** The worker's Comlink surface. Every method is safe to call again after a failure. */
export interface WorkerApi {
  /** Opens the slot's store and starts the node. Called once per worker. */
  init(init: WorkerInit, framePort: MessagePort, eventPort: MessagePort): Promise<WorkerHello>
  /** Starts replicating the channel; resolves with its local log as of the moment it opened. */
  open(channel: string, options: WorkerChannelOptions): Promise<StoredChannel>
  close(channel: string): Promise<void>
  /** Changes an open channel's replica set without restarting it (role and leader stay). */
  setReplicaSet(channel: string, replicaSet: readonly string[]): Promise<void>
  /** Resolves once the entries are durable: committed (on the leader) or pending in the outbox. */
  append(channel: string, payloads: PayloadBatch): Promise<AppendReceipt>
  read(
    channel: string,
    from: number | null,
    to: number | null,
    limits: ReadLimits,
  ): Promise<ReadChunk>
  stored(channel: string): Promise<StoredChannel>
  /** Whether one write of this peer's outbox is committed yet (see PeerNode.writeState). */
  writeState(channel: string, author: string, authorSeq: number): Promise<WriteState>
  /** Delivers the channel's entries from `from` ('tail': from the current tail) as they arrive. */
  subscribe(
    channel: string,
    from: number | 'tail',
    deliver: PageCallback<Delivery>,
  ): Promise<{ readonly id: number; readonly from: Seq }>
  unsubscribe(id: number): Promise<void>
  status(): Promise<WorkerStatus>
  /**
   * Hands off every channel this peer leads, then stops standing for
   * election; resolves with the drain's outcome. `tab-closing` pulls the
   * control loop's tick in.
   */
  drain(reason: 'tab-closing' | 'local', deadlineMs?: number): Promise<DrainOutcome>
  /** Stands for election again after a drain (a tab restored from the back-forward cache). */
  cancelDrain(): Promise<void>
  /** Round trips the page measured to linked peers, for the control loop's locality probe. */
  reportRtt(samples: readonly { readonly peer: string; readonly rttMs: number }[]): Promise<void>
  /** Answers at once; the page's watchdog calls it. */
  ping(): number
  /** Stops every runtime and closes the store. Idempotent. */
  stop(): Promise<void>
}
