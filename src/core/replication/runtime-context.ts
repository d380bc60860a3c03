/**
 * Everything one channel's runtime works with, in one record the tick and
 * inbound handlers take: configuration, the injected seams (clock, rng,
 * store, dispatcher, RTT lookup), the pure state pieces and the counters.
 * The runtime class builds one; tests build one to drive a handler directly.
 *
 * Once the runtime is halted (cancel gave up waiting on a stuck handler)
 * the context's store and dispatcher refuse every write and send, so a
 * handler that resumes late cannot act for a stopped runtime.
 */
import type { EntrySignaturePolicy, EntrySigner } from '../crypto/entry-signing.js'
import { describeValue, InvalidArgumentError } from '../errors.js'
import { TypedEventTarget } from '../events/typed-event-target.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import type { LogStore } from '../log/log-store.js'
import { DropCounter } from '../queue/drop-counter.js'
import type { Rng } from '../random/rng.js'
import type { Clock } from '../time/clock.js'
import { BACKGROUND_FRACTION_DEFAULT, BandwidthBudget } from './bandwidth-budget.js'
import { CatchupBackoff } from './catchup-backoff.js'
import { ChainCheck } from './chain-check.js'
import type { ReplicationCoordinator } from './coordinator.js'
import type { DiskPressurePolicy } from './disk-pressure.js'
import type { ReplicationDispatcher } from './dispatcher.js'
import type { RttLookup } from './election.js'
import { ForwardSchedule } from './forward-schedule.js'
import { DEFAULT_MISS_THRESHOLD, HeartbeatTracker } from './heartbeat-tracker.js'
import { createHandoffState, type HandoffState } from './leader-handoff.js'
import { type BandwidthClass, SYNC_CHUNK_MAX_DEFAULT_BYTES } from './messages.js'
import type { ReplicationMetrics } from './metrics.js'
import { OutstandingRequests } from './outstanding-requests.js'
import { ParkedRequests } from './parked-requests.js'
import { RuntimeStoppedError } from './replication-errors.js'
import type { ReplicationRuntimeEvents } from './runtime-events.js'
import { ServedChunks } from './served-chunks.js'

export const INBOUND_DROP_REASONS = [
  'not-in-replica-set',
  'wrong-channel',
  'unknown-request',
  'not-believed-leader',
  'wrong-role',
  'malformed-response',
  'stale-chunk',
  'invalid-entries',
  /** An entry's signature is missing or not its author's (signed entries). */
  'forged-entry',
  'append-rejected',
  'skip-rejected',
  /** The leader's chain parts from ours below everything we hold; nothing to cut. */
  'diverged-below-floor',
  /** A Propose reached a peer that is not the leader (the proposer re-sends on its own). */
  'propose-not-leader',
  'inbox-full',
  'stopped',
  'cancelled',
] as const
export type InboundDropReason = (typeof INBOUND_DROP_REASONS)[number]

/** Default peak link rate the budget assumes when none is configured (10 MB/s). */
export const PEAK_BYTES_PER_SECOND_DEFAULT = 10_000_000
/** Default share of that link catch-up may use. */
export const BUDGET_FRACTION_DEFAULT = 0.5

export interface RuntimeContextOptions {
  readonly channel: ChannelId
  readonly self: PeerId
  /** Every peer replicating the channel; inbound frames from anyone else are dropped. */
  readonly replicaSet: readonly PeerId[]
  readonly heartbeatMs: number
  readonly missThreshold?: number
  readonly clock: Clock
  readonly rng: Rng
  readonly rttLookup: RttLookup
  readonly hasher: EntryHasher
  readonly store: LogStore
  readonly dispatcher: ReplicationDispatcher
  readonly coordinator: ReplicationCoordinator
  readonly chunkMax?: number
  /** Stamped on every SyncRequest this replica sends. */
  readonly bandwidthClass?: BandwidthClass
  /** Share of the budget background requests may use (the rest is reserved). */
  readonly backgroundFraction?: number
  readonly diskPressurePolicy?: DiskPressurePolicy
  /** The leader's budget; by default 0.5 × `peakBytesPerSecond`. */
  readonly budget?: BandwidthBudget
  /** The link rate the default budget assumes (default 10 MB/s). */
  readonly peakBytesPerSecond?: number
  readonly tracker?: HeartbeatTracker
  readonly events?: TypedEventTarget<ReplicationRuntimeEvents>
  /** True once the owning runtime stopped for good; defaults to never. */
  readonly isHalted?: () => boolean
  /** Signs this peer's own writes; without one they go unsigned. */
  readonly signer?: EntrySigner
  /** How signatures on entries from others are checked; without one they are not. */
  readonly signatures?: EntrySignaturePolicy
  /**
   * Leader: how long a caught-up replica's request waits for the next
   * append (parked-requests.ts). 0, the default here, answers at once as
   * the seed does; PeerNode parks for PARK_HOLD_MS_DEFAULT (at most half a
   * heartbeat).
   */
  readonly parkHoldMs?: number
}

/** The runtime's memory of its offline-first writes; the outbox itself is in the store. */
export interface OutboxState {
  /** The authorSeq this peer's next write takes; undefined until read from the store. */
  nextAuthorSeq: number | undefined
  /** The log tail when the outbox was last checked for committed writes. */
  checkedThrough: number
  readonly forward: ForwardSchedule
}

export interface RuntimeContext {
  readonly channel: ChannelId
  readonly self: PeerId
  /** Replaced as a whole (never mutated) when the set changes in place. */
  replicaSet: readonly PeerId[]
  members: ReadonlySet<PeerId>
  readonly heartbeatMs: number
  readonly chunkMax: number
  readonly bandwidthClass: BandwidthClass
  readonly backgroundFraction: number
  readonly diskPressurePolicy: DiskPressurePolicy
  readonly clock: Clock
  readonly rng: Rng
  readonly rttLookup: RttLookup
  readonly hasher: EntryHasher
  readonly store: LogStore
  readonly dispatcher: ReplicationDispatcher
  readonly coordinator: ReplicationCoordinator
  readonly metrics: ReplicationMetrics
  readonly drops: DropCounter<InboundDropReason>
  readonly tracker: HeartbeatTracker
  readonly budget: BandwidthBudget
  readonly backoff: CatchupBackoff
  readonly outstanding: OutstandingRequests
  /** Leader: caught-up replicas' requests waiting for the next append (see parked-requests.ts). */
  readonly parked: ParkedRequests
  /** Leader: where its last answer to each replica ended, for chained read-aheads (served-chunks.ts). */
  readonly served: ServedChunks
  readonly parkHoldMs: number
  readonly chainCheck: ChainCheck
  readonly handoff: HandoffState
  readonly outbox: OutboxState
  readonly events: TypedEventTarget<ReplicationRuntimeEvents>
  readonly isHalted: () => boolean
  readonly signer: EntrySigner | undefined
  readonly signatures: EntrySignaturePolicy | undefined
}

function stopped(): Promise<never> {
  return Promise.reject(new RuntimeStoppedError('the replication runtime has stopped'))
}

function guardDispatcher(
  inner: ReplicationDispatcher,
  halted: () => boolean,
): ReplicationDispatcher {
  return {
    sendHeartbeat: (t, m) => (halted() ? stopped() : inner.sendHeartbeat(t, m)),
    sendSyncRequest: (t, m) => (halted() ? stopped() : inner.sendSyncRequest(t, m)),
    sendSyncResponse: (t, m) => (halted() ? stopped() : inner.sendSyncResponse(t, m)),
    sendSyncNack: (t, m) => (halted() ? stopped() : inner.sendSyncNack(t, m)),
    sendPropose: (t, m) => (halted() ? stopped() : inner.sendPropose(t, m)),
    sendLeaderHandoff: (t, m) => (halted() ? stopped() : inner.sendLeaderHandoff(t, m)),
  }
}

function guardStore(inner: LogStore, halted: () => boolean): LogStore {
  return {
    get isOpen() {
      return inner.isOpen
    },
    open: () => inner.open(),
    close: () => inner.close(),
    channels: () => inner.channels(),
    state: (c) => inner.state(c),
    read: (c, from, to, options) => inner.read(c, from, to, options),
    readRun: (c, from, to, options) => inner.readRun(c, from, to, options),
    append: (c, entries) => (halted() ? stopped() : inner.append(c, entries)),
    appendRun: (c, run) => (halted() ? stopped() : inner.appendRun(c, run)),
    skipTo: (c, s, anchor) => (halted() ? stopped() : inner.skipTo(c, s, anchor)),
    truncateAfter: (c, kept) => (halted() ? stopped() : inner.truncateAfter(c, kept)),
    setRetention: (c, policy) => (halted() ? stopped() : inner.setRetention(c, policy)),
    sweepRetention: (c) => (halted() ? stopped() : inner.sweepRetention(c)),
    deleteChannel: (c) => (halted() ? stopped() : inner.deleteChannel(c)),
    authorMark: (c, author) => inner.authorMark(c, author),
    outbox: (c) => inner.outbox(c),
    outboxSize: (c) => inner.outboxSize(c),
    putOutbox: (c, entries, options) =>
      halted() ? stopped() : inner.putOutbox(c, entries, options),
    removeOutbox: (c, keys) => (halted() ? stopped() : inner.removeOutbox(c, keys)),
  }
}

/** Longest heartbeat period accepted: a unit mix-up (s for ms) must not disable failover. */
export const HEARTBEAT_MS_MAX = 300_000

export function createRuntimeContext(options: RuntimeContextOptions): RuntimeContext {
  const { heartbeatMs } = options
  if (!Number.isFinite(heartbeatMs) || heartbeatMs <= 0 || heartbeatMs > HEARTBEAT_MS_MAX) {
    throw new InvalidArgumentError(`heartbeatMs must be in (0, ${HEARTBEAT_MS_MAX}]`, {
      details: { channel: options.channel, heartbeatMs: describeValue(heartbeatMs) },
    })
  }
  if (options.signer !== undefined && options.signer.author !== options.self) {
    throw new InvalidArgumentError('the signer must sign as this peer', {
      details: { channel: options.channel, self: options.self, signer: options.signer.author },
    })
  }
  const isHalted = options.isHalted ?? (() => false)
  const now = options.clock.now()
  return {
    channel: options.channel,
    self: options.self,
    replicaSet: [...options.replicaSet],
    members: new Set(options.replicaSet),
    heartbeatMs: options.heartbeatMs,
    chunkMax: options.chunkMax ?? SYNC_CHUNK_MAX_DEFAULT_BYTES,
    bandwidthClass: options.bandwidthClass ?? 'foreground',
    backgroundFraction: options.backgroundFraction ?? BACKGROUND_FRACTION_DEFAULT,
    diskPressurePolicy: options.diskPressurePolicy ?? 'withdraw',
    clock: options.clock,
    rng: options.rng,
    rttLookup: options.rttLookup,
    hasher: options.hasher,
    store: guardStore(options.store, isHalted),
    dispatcher: guardDispatcher(options.dispatcher, isHalted),
    coordinator: options.coordinator,
    metrics: options.coordinator.metrics,
    drops: new DropCounter(INBOUND_DROP_REASONS),
    tracker:
      options.tracker ??
      new HeartbeatTracker(options.heartbeatMs, options.missThreshold ?? DEFAULT_MISS_THRESHOLD),
    budget:
      options.budget ??
      new BandwidthBudget({
        fraction: BUDGET_FRACTION_DEFAULT,
        peakBytesPerSecond: options.peakBytesPerSecond ?? PEAK_BYTES_PER_SECOND_DEFAULT,
        now,
      }),
    backoff: new CatchupBackoff(),
    outstanding: new OutstandingRequests(),
    parked: new ParkedRequests(),
    served: new ServedChunks(),
    parkHoldMs: Math.max(0, Math.min(options.parkHoldMs ?? 0, heartbeatMs / 2)),
    chainCheck: new ChainCheck(),
    handoff: createHandoffState(),
    outbox: {
      nextAuthorSeq: undefined,
      checkedThrough: options.store.state(options.channel).nextSeq,
      forward: new ForwardSchedule(options.heartbeatMs),
    },
    events: options.events ?? new TypedEventTarget<ReplicationRuntimeEvents>(),
    isHalted,
    signer: options.signer,
    signatures: options.signatures,
  }
}
