/**
 * MeshLog's options, their defaults, and their validation: a bad option
 * fails `MeshLog.create` at once with InvalidArgumentError naming the
 * option, never later inside the worker.
 */
import { DEFAULT_GROUP_SIZE } from '../core/crypto/entry-signing.js'
import { MAX_GROUP_SIZE } from '../core/crypto/signed-groups.js'
import { describeValue, InvalidArgumentError } from '../core/errors.js'
import { type PeerId, peerId } from '../core/log/ids.js'
import type { DiskPressurePolicy } from '../core/replication/disk-pressure.js'
import { BANDWIDTH_CLASSES, type BandwidthClass } from '../core/replication/messages.js'
import type { WorkerChannelOptions } from '../rpc/worker-api.js'
import { type CallOptions, checkTimeoutMs } from './call-deadline.js'
import type { LogReset } from './client-subscription.js'
import type { MeshJoinOptions } from './mesh-transport.js'
import type { WatchdogOptions } from './worker-supervisor.js'

export interface TabLinkOptions {
  /** How often a tab says it is alive (default 1000 ms). */
  readonly heartbeatMs?: number
  /** A tab silent this long is dropped (default 3500 ms). */
  readonly timeoutMs?: number
}

export interface MeshLogOptions extends CallOptions {
  /**
   * Keeps independent meshes on one origin apart: slot locks, databases and
   * the tab channel are named after it (default `meshlog`).
   */
  readonly namespace?: string
  /**
   * Use this slot without taking its Web Lock. The caller guarantees that
   * no other live instance uses it (e.g. where Web Locks do not exist).
   */
  readonly slot?: number
  /** How many slots to try (default 32). */
  readonly maxSlots?: number
  /** After a reload, how long to wait for this tab's previous slot (default 2000 ms). */
  readonly slotWaitMs?: number
  /**
   * This peer's id. By default each slot makes one up once and keeps it in
   * IndexedDB; pass one to bring your own (e.g. the libp2p peer id).
   */
  readonly peerId?: string
  /**
   * Sign every entry with this slot's libp2p Ed25519 key and accept only
   * entries signed by their authors (default true, unless `peerId` is
   * given). The peer id is then the key's libp2p peer id. Every peer of a
   * mesh must agree: a signing peer refuses unsigned entries.
   */
  readonly signEntries?: boolean
  /**
   * With `signEntries`: how many consecutive writes of one append share one
   * signature (1 to 256, default 32; see README, "Signed entries"). 1 signs
   * each write alone.
   */
  readonly signatureGroupSize?: number
  /** Link same-origin tabs over BroadcastChannel (default true). */
  readonly tabLinks?: boolean | TabLinkOptions
  /** Default replication heartbeat for channels (default 500 ms). */
  readonly heartbeatMs?: number
  /** Deadline of every call that does not pass its own (default 10 000 ms). */
  readonly callTimeoutMs?: number
  /** How a dead or hung worker is detected and restarted. */
  readonly watchdog?: Partial<WatchdogOptions>
  /**
   * Spawns the replication worker. The default is a module worker from
   * `workers/replication.worker.js`; pass your own if your bundler needs it.
   */
  readonly createWorker?: () => Worker
  /**
   * Joins the browser mesh through a relay: `{ relay, room }` (and tuning).
   * The peer id is then the slot's libp2p peer id, kept in IndexedDB.
   */
  readonly mesh?: MeshJoinOptions
  /**
   * Where `pagehide`/`pageshow` are heard (default: the global scope). On
   * `pagehide` this peer hands off every channel it leads before the tab
   * goes; a page restored from the back-forward cache stands again. `null`:
   * never drain on its own (call `drain()`).
   */
  readonly pageLifecycle?: EventTarget | null
}

export interface ResolvedMeshLogOptions {
  readonly namespace: string
  readonly slot: number | undefined
  readonly maxSlots: number
  readonly slotWaitMs: number
  readonly peerId: PeerId | undefined
  readonly signEntries: boolean
  readonly signatureGroupSize: number
  readonly tabLinks: TabLinkOptions | undefined
  readonly heartbeatMs: number | undefined
  readonly callTimeoutMs: number
  readonly createTimeoutMs: number
  readonly watchdog: WatchdogOptions
  readonly createWorker: (() => Worker) | undefined
  readonly mesh: MeshJoinOptions | undefined
  readonly pageLifecycle: EventTarget | null
}

export const CALL_TIMEOUT_MS_DEFAULT = 10_000
export const CREATE_TIMEOUT_MS_DEFAULT = 30_000
export const WATCHDOG_DEFAULTS: WatchdogOptions = {
  pingIntervalMs: 1000,
  pingTimeoutMs: 5000,
  maxRestarts: 5,
  restartBackoffMs: 250,
}
const NAMESPACE_PATTERN = /^[A-Za-z0-9._-]{1,64}$/

function invalid(option: string, value: unknown, rule: string): InvalidArgumentError {
  return new InvalidArgumentError(`option ${option} ${rule}`, {
    details: { option, value: describeValue(value) },
  })
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(option, value, `must be an integer from ${min} to ${max}`)
  }
  return value
}

function milliseconds(option: string, value: unknown): number {
  try {
    return checkTimeoutMs(option, value)
  } catch {
    throw invalid(option, value, 'must be a positive number of milliseconds')
  }
}

function optional<T>(value: T | undefined, check: (value: T) => T): T | undefined {
  return value === undefined ? undefined : check(value)
}

function tabLinkOptions(value: MeshLogOptions['tabLinks']): TabLinkOptions | undefined {
  if (value === undefined || value === true) return {}
  if (value === false) return undefined
  if (typeof value !== 'object' || value === null) {
    throw invalid('tabLinks', value, 'must be a boolean or { heartbeatMs, timeoutMs }')
  }
  const heartbeatMs = optional(value.heartbeatMs, (v) => milliseconds('tabLinks.heartbeatMs', v))
  const timeoutMs = optional(value.timeoutMs, (v) => milliseconds('tabLinks.timeoutMs', v))
  return {
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  }
}

function watchdogOptions(value: MeshLogOptions['watchdog']): WatchdogOptions {
  if (value === undefined) return WATCHDOG_DEFAULTS
  if (typeof value !== 'object' || value === null) {
    throw invalid('watchdog', value, 'must be an object')
  }
  const d = WATCHDOG_DEFAULTS
  return {
    pingIntervalMs: milliseconds(
      'watchdog.pingIntervalMs',
      value.pingIntervalMs ?? d.pingIntervalMs,
    ),
    pingTimeoutMs: milliseconds('watchdog.pingTimeoutMs', value.pingTimeoutMs ?? d.pingTimeoutMs),
    maxRestarts: integer('watchdog.maxRestarts', value.maxRestarts ?? d.maxRestarts, 1, 100),
    restartBackoffMs: milliseconds(
      'watchdog.restartBackoffMs',
      value.restartBackoffMs ?? d.restartBackoffMs,
    ),
  }
}

export function resolveMeshLogOptions(options: MeshLogOptions): ResolvedMeshLogOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('options', options, 'must be an object')
  }
  const namespace = options.namespace ?? 'meshlog'
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
    throw invalid('namespace', namespace, 'must be 1 to 64 letters, digits, ".", "_" or "-"')
  }
  const maxSlots = integer('maxSlots', options.maxSlots ?? 32, 1, 1024)
  const slot = optional(options.slot, (v) => integer('slot', v, 0, maxSlots - 1))
  let id: PeerId | undefined
  if (options.peerId !== undefined) {
    try {
      id = peerId(options.peerId)
    } catch (error) {
      throw new InvalidArgumentError('option peerId is not a valid peer id', {
        cause: error,
        details: { option: 'peerId', value: describeValue(options.peerId) },
      })
    }
  }
  const signEntries = options.signEntries ?? id === undefined
  if (typeof signEntries !== 'boolean') {
    throw invalid('signEntries', signEntries, 'must be a boolean')
  }
  if (signEntries && id !== undefined) {
    throw invalid(
      'signEntries',
      signEntries,
      "signs with the slot's own key, whose peer id is the peer's: do not pass peerId with it",
    )
  }
  const signatureGroupSize = options.signatureGroupSize ?? DEFAULT_GROUP_SIZE
  if (
    !Number.isSafeInteger(signatureGroupSize) ||
    signatureGroupSize < 1 ||
    signatureGroupSize > MAX_GROUP_SIZE
  ) {
    throw invalid(
      'signatureGroupSize',
      signatureGroupSize,
      `must be an integer from 1 to ${MAX_GROUP_SIZE}`,
    )
  }
  if (options.createWorker !== undefined && typeof options.createWorker !== 'function') {
    throw invalid('createWorker', options.createWorker, 'must be a function returning a Worker')
  }
  const pageLifecycle =
    options.pageLifecycle === undefined
      ? typeof globalThis.addEventListener === 'function'
        ? globalThis
        : null
      : options.pageLifecycle
  if (pageLifecycle !== null && typeof pageLifecycle?.addEventListener !== 'function') {
    throw invalid('pageLifecycle', pageLifecycle, 'must be an EventTarget or null')
  }
  const heartbeatMs = optional(options.heartbeatMs, (v) => milliseconds('heartbeatMs', v))
  if (heartbeatMs !== undefined && heartbeatMs < 10) {
    throw invalid('heartbeatMs', heartbeatMs, 'must be at least 10 ms')
  }
  const mesh = options.mesh
  if (
    mesh !== undefined &&
    (typeof mesh !== 'object' || mesh === null || typeof mesh.relay !== 'string')
  ) {
    throw invalid('mesh', mesh, 'must be { relay, room? } with the relay multiaddr')
  }
  if (mesh !== undefined && options.peerId !== undefined) {
    throw invalid(
      'peerId',
      options.peerId,
      'cannot be set with mesh (the libp2p key names the peer)',
    )
  }
  return {
    namespace,
    slot,
    maxSlots,
    slotWaitMs: milliseconds('slotWaitMs', options.slotWaitMs ?? 2000),
    peerId: id,
    signEntries,
    signatureGroupSize,
    tabLinks: tabLinkOptions(options.tabLinks),
    heartbeatMs,
    callTimeoutMs: milliseconds('callTimeoutMs', options.callTimeoutMs ?? CALL_TIMEOUT_MS_DEFAULT),
    createTimeoutMs: milliseconds('timeoutMs', options.timeoutMs ?? CREATE_TIMEOUT_MS_DEFAULT),
    watchdog: watchdogOptions(options.watchdog),
    createWorker: options.createWorker,
    mesh,
    pageLifecycle,
  }
}

/** Names derived from the namespace: the slot lock prefix, databases, tab channel. */
export function slotNames(namespace: string, slot: number) {
  return {
    lockPrefix: `${namespace}-slot-`,
    slotName: `${namespace}-slot-${slot}`,
    databaseName: `${namespace}-slot-${slot}`,
    identityDatabaseName: `${namespace}-identity`,
    /** The slot's libp2p key (signed entries; the page's libp2p node may share it). */
    keyDatabaseName: `${namespace}-keys`,
    tabChannelName: `${namespace}-tabs`,
    sessionKey: `${namespace}:slots`,
  }
}

export interface OpenChannelOptions extends CallOptions {
  /**
   * Every peer replicating the channel, this one (`MeshLog.peerId`) included;
   * or `'room'` (with the `mesh` option): this peer and every peer seen in
   * the mesh room, following the room as peers join.
   */
  readonly replicaSet: readonly string[] | 'room'
  /** Replication heartbeat for this channel (default: the client's `heartbeatMs`). */
  readonly heartbeatMs?: number
  /** Largest catch-up response this peer asks for, in payload bytes. */
  readonly chunkMax?: number
  /**
   * The link rate this peer's catch-up budget assumes as leader, bytes/s; it
   * serves half of it (default 10 MB/s, so 5 MB/s). Raise it on fast links.
   */
  readonly peakBytesPerSecond?: number
  readonly bandwidthClass?: BandwidthClass
  readonly diskPressurePolicy?: DiskPressurePolicy
  /** Emit `entry` events for this channel's new entries (default true). */
  readonly entryEvents?: boolean
}

/** Most peers in one replica set. */
export const REPLICA_SET_MAX = 64

/**
 * Checks `open`'s options. `room` gives the room's replica set when the
 * client joined a mesh; `replicaSet: 'room'` needs it.
 */
export function resolveOpenOptions(
  options: OpenChannelOptions,
  room?: () => readonly string[],
): WorkerChannelOptions {
  if (typeof options !== 'object' || options === null) {
    throw invalid('open options', options, 'must be an object with a replicaSet')
  }
  if (options.replicaSet === 'room' && room === undefined) {
    throw invalid('replicaSet', 'room', 'can be "room" only when the client joined a mesh')
  }
  const replicaSet = options.replicaSet === 'room' ? room?.() : options.replicaSet
  if (
    !Array.isArray(replicaSet) ||
    replicaSet.length === 0 ||
    replicaSet.length > REPLICA_SET_MAX
  ) {
    throw invalid('replicaSet', replicaSet, `must list 1 to ${REPLICA_SET_MAX} peer ids`)
  }
  const peers = replicaSet.map((p, index) => {
    try {
      return peerId(p)
    } catch (error) {
      throw new InvalidArgumentError(`replicaSet[${index}] is not a valid peer id`, {
        cause: error,
        details: { option: 'replicaSet', index, value: describeValue(p) },
      })
    }
  })
  const heartbeatMs = optional(options.heartbeatMs, (v) => milliseconds('heartbeatMs', v))
  const chunkMax = optional(options.chunkMax, (v) => integer('chunkMax', v, 1, 64 << 20))
  const peak = optional(options.peakBytesPerSecond, (v) =>
    integer('peakBytesPerSecond', v, 1_000, 10_000_000_000),
  )
  if (options.bandwidthClass !== undefined && !BANDWIDTH_CLASSES.includes(options.bandwidthClass)) {
    throw invalid('bandwidthClass', options.bandwidthClass, `must be one of ${BANDWIDTH_CLASSES}`)
  }
  const policy = options.diskPressurePolicy
  if (policy !== undefined && policy !== 'withdraw' && policy !== 'evict-oldest') {
    throw invalid('diskPressurePolicy', policy, 'must be "withdraw" or "evict-oldest"')
  }
  return {
    replicaSet: peers,
    ...(heartbeatMs === undefined ? {} : { heartbeatMs }),
    ...(chunkMax === undefined ? {} : { chunkMax }),
    ...(peak === undefined ? {} : { peakBytesPerSecond: peak }),
    ...(options.bandwidthClass === undefined ? {} : { bandwidthClass: options.bandwidthClass }),
    ...(policy === undefined ? {} : { diskPressurePolicy: policy }),
  }
}

export interface ReadRangeOptions extends CallOptions {
  /** First seq to read (default: the first retained). */
  readonly from?: number
  /** Stop before this seq (default: the tail when the read starts). */
  readonly to?: number
  /** Entries fetched from the worker per round trip (1 to 4096). */
  readonly chunkEntries?: number
}

export interface SubscribeOptions extends CallOptions {
  /** First seq to deliver; `'tail'` (the default) delivers only entries that arrive from now on. */
  readonly from?: number | 'tail'
  /** Called when the local log jumps (skip-ahead, truncation) before delivery resumes. */
  readonly onReset?: (reset: LogReset) => void
}

/** Ends a subscription on both sides. Idempotent. */
export type Unsubscribe = () => Promise<void>
