/**
 * Builders for replication tests: a manual clock, a seeded rng, an open
 * MemoryLogStore, a recording dispatcher and a coordinator, wired into a
 * handler context or a started runtime. Mirrors seed 001's `build_inputs`
 * (heartbeat cadence, replica set, RTT 5 ms to everyone, tail 42 by default).
 */
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { type Entry, GENESIS_HASH } from '../log/entry.js'
import { type EntryHasher, loadEntryHasher } from '../log/entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId, type Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { type TestLogWriter, testLogWriter } from '../log/test-entries.js'
import { type Rng, seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import { type ChainAnnouncer, ReplicationCoordinator } from './coordinator.js'
import type { PeerInbound } from './inbound.js'
import type { BandwidthClass, ReplicaRole, SyncResponse } from './messages.js'
import { onInbound } from './on-inbound.js'
import { RecordingDispatcher } from './recording-dispatcher.js'
import {
  type ReplicationRuntime,
  type ReplicationRuntimeOptions,
  startReplicationRuntime,
} from './replication-runtime.js'
import {
  createRuntimeContext,
  type RuntimeContext,
  type RuntimeContextOptions,
} from './runtime-context.js'

export const CHANNEL = channelId('test/runtime')
export const WRONG_CHANNEL = channelId('test/wrong_channel')
export const N10: PeerId = peerId('node-10')
export const N20: PeerId = peerId('node-20')
export const N30: PeerId = peerId('node-30')
export const N99: PeerId = peerId('node-99')
export const SEED_TAIL = 42
export const SEED_RTT_MS = 5

export interface Kit {
  readonly clock: ManualClock
  readonly rng: Rng
  readonly hasher: EntryHasher
  readonly store: MemoryLogStore
  readonly dispatcher: RecordingDispatcher
  readonly coordinator: ReplicationCoordinator
}

export interface KitOptions {
  /** The local tail (the seed's `tail_provider`); reached by skipping, no entries. */
  readonly tail?: number
  readonly announcer?: ChainAnnouncer
  readonly seed?: number
}

export async function makeKit(options: KitOptions = {}): Promise<Kit> {
  const clock = new ManualClock({ start: 1_000, wallStart: 1_700_000_000_000 })
  const store = new MemoryLogStore()
  await store.open()
  const tail = options.tail ?? SEED_TAIL
  if (tail > 0) await store.skipTo(CHANNEL, tail as Seq)
  return {
    clock,
    rng: seededRng(options.seed ?? 1),
    hasher: await loadEntryHasher(),
    store,
    dispatcher: new RecordingDispatcher(),
    coordinator: new ReplicationCoordinator({
      channel: CHANNEL,
      clock,
      ...(options.announcer === undefined ? {} : { announcer: options.announcer }),
    }),
  }
}

export type Wiring = Partial<Omit<RuntimeContextOptions, 'self' | 'replicaSet' | 'heartbeatMs'>> & {
  readonly self: PeerId
  readonly replicaSet: readonly PeerId[]
  readonly heartbeatMs: number
}

function wiring(kit: Kit, wire: Wiring): RuntimeContextOptions {
  return {
    channel: CHANNEL,
    clock: kit.clock,
    rng: kit.rng,
    rttLookup: () => SEED_RTT_MS,
    hasher: kit.hasher,
    store: kit.store,
    dispatcher: kit.dispatcher,
    coordinator: kit.coordinator,
    ...wire,
  }
}

/** A handler context, for calling `onTick` / `onInbound` directly. */
export function contextFor(kit: Kit, wire: Wiring): RuntimeContext {
  return createRuntimeContext(wiring(kit, wire))
}

export type RuntimeExtras = Partial<
  Pick<
    ReplicationRuntimeOptions,
    | 'inboxCapacity'
    | 'priorityInboxCapacity'
    | 'appendBacklog'
    | 'tailNoticeMinIntervalMs'
    | 'cancelTimeoutMs'
  >
>

/** A started runtime over the kit. */
export function runtimeFor(kit: Kit, wire: Wiring & RuntimeExtras): ReplicationRuntime {
  return startReplicationRuntime(wiring(kit, wire))
}

/** Walks the coordinator through the state machine to `role`, as the seed's tests do. */
export async function promote(
  coordinator: ReplicationCoordinator,
  role: ReplicaRole,
): Promise<void> {
  if (role === 'idle') return
  await coordinator.transitionTo('replica', 'capability-selected')
  if (role === 'replica') return
  await coordinator.transitionTo('candidate', 'missed-heartbeats')
  if (role === 'candidate') return
  await coordinator.transitionTo('leader', 'election-won')
}

export function heartbeatFrom(
  from: PeerId,
  role: ReplicaRole,
  tailSeq: number,
  channel = CHANNEL,
): Extract<PeerInbound, { kind: 'heartbeat' }> {
  return {
    kind: 'heartbeat',
    from,
    message: { channelId: channel, tailSeq: tailSeq as Seq, role, wallClockMs: 1_700_000_000_000 },
  }
}

/** A SyncRequest from `from` reading from `sinceSeq` (chunkMax 0: the leader's default budget). */
export function syncRequestFrom(
  from: PeerId,
  sinceSeq: number,
  options: {
    readonly requestId?: bigint
    readonly chunkMax?: number
    readonly bandwidthClass?: BandwidthClass
    readonly channel?: ChannelId
    readonly afterRequestId?: bigint
  } = {},
): Extract<PeerInbound, { kind: 'sync-request' }> {
  return {
    kind: 'sync-request',
    from,
    message: {
      channelId: options.channel ?? CHANNEL,
      sinceSeq: sinceSeq as Seq,
      chunkMax: options.chunkMax ?? 0,
      requestId: options.requestId ?? 0n,
      bandwidthClass: options.bandwidthClass ?? 'foreground',
      ...(options.afterRequestId === undefined ? {} : { afterRequestId: options.afterRequestId }),
    },
  }
}

export function responseOf(
  entries: readonly Entry[],
  requestId: bigint,
  firstSeq: number,
  leaderFirstRetainedSeq = 0,
): SyncResponse {
  return {
    channelId: CHANNEL,
    firstSeq: firstSeq as Seq,
    leaderFirstRetainedSeq: leaderFirstRetainedSeq as Seq,
    entries,
    requestId,
  }
}

/** A writer of valid chained entries for CHANNEL, from the genesis (or `tail`). */
export function writerFor(kit: Kit, author: PeerId, nextSeq = 0): TestLogWriter {
  return testLogWriter(kit.hasher, CHANNEL, author, {
    nextSeq: nextSeq as Seq,
    lastHash: GENESIS_HASH,
  })
}

/**
 * A replica (N10, tail 0) following N20 as leader of `leaderTail` entries,
 * checking every author's signature (noble Ed25519); `deliver` hands it a
 * chunk as N20's answer to a request it made.
 */
export async function verifyingReplica(required = true, leaderTail = 10) {
  const kit = await makeKit({ tail: 0 })
  await promote(kit.coordinator, 'replica')
  const ctx = contextFor(kit, {
    self: N10,
    replicaSet: [N10, N20],
    heartbeatMs: 100,
    signatures: { verifier: new NobleEd25519Verifier(), required },
  })
  ctx.tracker.recordHeartbeat(N20, 'leader', leaderTail as Seq, kit.clock.now())
  const deliver = (entries: readonly Entry[], firstSeq = 0) => {
    const requestId = ctx.rng.nextU64()
    ctx.outstanding.record(N20, requestId, ctx.clock.now())
    return onInbound(ctx, {
      kind: 'sync-response',
      from: N20,
      message: responseOf(entries, requestId, firstSeq),
    })
  }
  return { kit, ctx, deliver }
}

/** Lets every promise chain started so far settle (one macrotask). */
export function settle(kit: Kit): Promise<void> {
  return kit.clock.advanceAsync(0)
}
