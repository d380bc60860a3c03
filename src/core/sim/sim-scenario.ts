/**
 * One simulated run's shape, drawn from its seed: how many peers, which
 * channels with which replica sets and disk-pressure policies, the
 * heartbeat, the link latency, and how long each phase lasts:
 *
 *   warmup  appends, no faults (a leader is elected, replicas follow)
 *   faults  appends plus random faults (partitions, crashes, full disks,
 *           loss, duplication, reordering) and forged frames
 *   heal    every fault is lifted at once: the partition heals, crashed
 *           peers restart, disks are freed, links turn clean; appends stop
 *   settle  the replicas must converge within `settleBoundMs`
 *   quiet   and stay converged for `quietMs`
 *
 * Phase lengths are in heartbeats so a slower heartbeat gets as many rounds.
 *
 * One seed in SIGNED_SEED_EVERY signs: its peers are Ed25519 authors
 * (test-authors.ts, noble, deterministic) that sign their writes in groups
 * and refuse any entry not signed by its author. Pure-JS Ed25519 costs a
 * millisecond a call, so not every seed pays for it.
 */
import { type TestAuthor, testAuthor } from '../crypto/test-authors.js'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { type Rng, seededRng } from '../random/rng.js'
import type { DiskPressurePolicy } from '../replication/disk-pressure.js'

export interface SimChannelPlan {
  readonly channel: ChannelId
  /** Sorted; peers outside it must not be able to drive the channel. */
  readonly replicaSet: readonly PeerId[]
  readonly diskPressurePolicy: DiskPressurePolicy
}

export interface Scenario {
  readonly seed: number
  /** Sorted. */
  readonly peers: readonly PeerId[]
  /** Whether the peers sign their writes and check every author's signature. */
  readonly signed: boolean
  readonly channels: readonly SimChannelPlan[]
  readonly heartbeatMs: number
  readonly minLatencyMs: number
  readonly maxLatencyMs: number
  readonly warmupMs: number
  readonly faultMs: number
  /** Invariant 3's bound: after the heal, convergence must come within this. */
  readonly settleBoundMs: number
  readonly quietMs: number
  /** Mean gap between client appends (over all channels). */
  readonly appendEveryMs: number
  /** Mean gap between fault actions during the fault phase. */
  readonly faultEveryMs: number
  /** Mean gap between forged frames injected at quiescent points. */
  readonly forgeryEveryMs: number
  /** Share of SyncResponses with entries that a man in the middle forges in flight. */
  readonly tamperRate: number
}

/**
 * Convergence bound, in heartbeats after the heal (see check-convergence).
 * What it must cover: a restarted peer's leaderless window (3 beats), an
 * election and a dual-leader tiebreak (at most 3 beats plus delivery),
 * catch-up (a chunk per round trip, well under a beat here), a hash probe
 * (one beat) and cutting a divergent tail (log2 of its length in round
 * trips). The worst seen over 500 seeds was 6.1 beats.
 */
export const SETTLE_BOUND_HEARTBEATS = 20

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length - 1)] as T
}

/** `count` distinct items of `items`, in their original order. */
export function sample<T>(rng: Rng, items: readonly T[], count: number): T[] {
  const chosen = new Set<number>()
  while (chosen.size < Math.min(count, items.length)) chosen.add(rng.int(0, items.length - 1))
  return [...chosen].sort((a, b) => a - b).map((i) => items[i] as T)
}

/** Seeds `n` with n % SIGNED_SEED_EVERY === SIGNED_SEED_AT sign. */
export const SIGNED_SEED_EVERY = 8
const SIGNED_SEED_AT = 5

/** The Ed25519 authors a signed scenario's peers are, by their peer id. */
export function simAuthors(count: number): Map<PeerId, TestAuthor> {
  const authors = Array.from({ length: count }, (_, i) => testAuthor(7_000 + i))
  return new Map(authors.map((a) => [a.author, a]))
}

export function randomScenario(seed: number): Scenario {
  const rng = seededRng(seed ^ 0x5ce7a210)
  const signed = seed % SIGNED_SEED_EVERY === SIGNED_SEED_AT
  const count = rng.int(3, 7)
  const peers = signed
    ? [...simAuthors(count).keys()].sort()
    : Array.from({ length: count }, (_, i) => peerId(`p${i + 1}`))
  const channels = Array.from({ length: rng.int(2, 4) }, (_, i): SimChannelPlan => {
    const size = rng.int(Math.min(3, peers.length), peers.length)
    return {
      channel: channelId(`ch-${String.fromCharCode(97 + i)}`),
      replicaSet: sample(rng, peers, size),
      diskPressurePolicy: rng.nextFloat() < 0.5 ? 'withdraw' : 'evict-oldest',
    }
  })
  const heartbeatMs = pick(rng, [50, 100, 100, 200])
  return {
    seed,
    peers,
    signed,
    channels,
    heartbeatMs,
    minLatencyMs: 1,
    maxLatencyMs: rng.int(2, Math.max(3, Math.floor(heartbeatMs / 5))),
    warmupMs: 10 * heartbeatMs,
    faultMs: rng.int(30, 60) * heartbeatMs,
    settleBoundMs: SETTLE_BOUND_HEARTBEATS * heartbeatMs,
    quietMs: 10 * heartbeatMs,
    appendEveryMs: Math.max(5, Math.floor(heartbeatMs / rng.int(1, 4))),
    faultEveryMs: rng.int(3, 10) * heartbeatMs,
    forgeryEveryMs: rng.int(2, 6) * heartbeatMs,
    tamperRate: pick(rng, [0, 0, 0.05, 0.2]),
  }
}
