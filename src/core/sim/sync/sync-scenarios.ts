/**
 * Sync-session scenarios over SyncNodes (issue 8, item 5), run beside the
 * random replication scenario by `npm run test:sim`:
 *
 * - leader-away: a replica misses the leader's chunks while entries are
 *   written; then the leader dies. Before any election, the lagging replica
 *   syncs with its neighbours (verified sessions) and must end with the
 *   longest log any of them holds; the rest of the mesh then elects a leader
 *   and converges with nothing truncated.
 * - lying-peer: one peer serves forged or inconsistent sync data (heads with
 *   a root, size or proof that does not hold; chunks with altered payloads,
 *   hashes, proofs or numbering). A lagging victim syncs with it first: the
 *   session must fail or change nothing, the liar must be avoided once
 *   caught, and the victim must then catch up from honest peers.
 *
 * At every step, every live peer's log must be a prefix of the one history
 * leaders wrote (LogTruth): a lie that got anything into an honest log is a
 * violation at once.
 */
import type { PeerId } from '../../log/ids.js'
import { NotLeaderError } from '../../replication/replication-errors.js'
import { InvariantViolation } from '../invariant-violation.js'
import { sample } from '../sim-scenario.js'
import { type LyingCounts, lyingRewrite } from './sync-lies.js'
import { SIM_CHANNEL, SyncWorld } from './sync-world.js'

export interface SyncScenarioShape {
  readonly seed: number
  readonly peerCount: number
  readonly heartbeatMs: number
  readonly maxLatencyMs: number
  /** Append batches written while the victim lags. */
  readonly batches: number
}

export interface SyncScenarioCounts {
  readonly sessions: number
  readonly sessionsFailed: number
  readonly entriesSynced: number
  readonly lies: number
  readonly liarAvoided: boolean
  readonly checkedEntries: number
  readonly truncatedEntries: number
  readonly steps: number
}

const SETTLE_MS_HEARTBEATS = 40
const VERIFICATION_FAILURES = new Set(['ERR_SYNC_PROOF_REJECTED', 'ERR_SYNC_CHUNK_REJECTED'])

/** Writes `batches` batches at the leader, one every half heartbeat. */
async function writeBatches(world: SyncWorld, leader: PeerId, batches: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const size = world.rng.int(1, 24)
    const payloads = Array.from({ length: size }, (_, j) => Uint8Array.of(i & 0xff, j, 0x5e))
    try {
      await world.until(world.node(leader).node.append(SIM_CHANNEL, payloads), world.heartbeatMs)
    } catch (error) {
      if (!(error instanceof NotLeaderError)) throw error
    }
    await world.stepTo(world.clock.now() + Math.ceil(world.heartbeatMs / 2))
  }
}

/** The victim misses every chunk the leader sends it (heartbeats still arrive). */
function starve(world: SyncWorld, leader: PeerId, victim: PeerId): void {
  world.drops.set(leader, (to, frame) => to === victim && frame.kind === 'sync-response')
}

async function setUp(shape: SyncScenarioShape) {
  const world = await SyncWorld.create({
    seed: shape.seed,
    peerCount: shape.peerCount,
    heartbeatMs: shape.heartbeatMs,
    maxLatencyMs: shape.maxLatencyMs,
  })
  await world.openAll()
  const leader = await world.awaitSettledLeader(SETTLE_MS_HEARTBEATS * shape.heartbeatMs)
  return { world, leader }
}

function counts(
  world: SyncWorld,
  tally: { sessions: number; failed: number; entries: number },
  extra: { lies: number; liarAvoided: boolean },
): SyncScenarioCounts {
  return {
    sessions: tally.sessions,
    sessionsFailed: tally.failed,
    entriesSynced: tally.entries,
    lies: extra.lies,
    liarAvoided: extra.liarAvoided,
    checkedEntries: world.truth.checkedEntries,
    truncatedEntries: world.truth.truncatedEntries,
    steps: world.steps,
  }
}

async function syncOnce(
  world: SyncWorld,
  victim: PeerId,
  tally: { sessions: number; failed: number; entries: number },
  peer?: PeerId,
) {
  const result = await world.until(world.node(victim).requestSync(SIM_CHANNEL, peer), 60_000)
  tally.sessions += 1
  if (result.status === 'ok') tally.entries += result.outcome.entriesReceived
  else tally.failed += 1
  world.note(
    `sync ${victim}<-${peer ?? 'auto'} ${result.status}${result.status === 'ok' ? ` ${result.outcome.verdict} +${result.outcome.entriesReceived}` : ` ${result.error.code}`}`,
  )
  return result
}

/** After everything: one leader followed by every live peer, all on the same tail. */
async function expectConverged(world: SyncWorld, why: string): Promise<void> {
  const leader = await world.awaitSettledLeader(SETTLE_MS_HEARTBEATS * world.heartbeatMs)
  const deadline = world.clock.now() + SETTLE_MS_HEARTBEATS * world.heartbeatMs
  const same = () => world.live().every((p) => world.tail(p) === world.tail(leader))
  while (!same() && world.clock.now() < deadline) {
    await world.stepTo(world.clock.now() + world.heartbeatMs)
  }
  if (!same()) {
    throw new InvariantViolation(
      'convergence',
      world.clock.now(),
      `${why}: tails ${world.live().map((p) => `${p}=${world.tail(p)}`)} never met`,
    )
  }
}

export async function runLeaderAway(shape: SyncScenarioShape): Promise<SyncScenarioCounts> {
  const { world, leader } = await setUp(shape)
  const tally = { sessions: 0, failed: 0, entries: 0 }
  try {
    const others = world.peers.filter((p) => p !== leader)
    const victim = others[world.rng.int(0, others.length - 1)] as PeerId
    starve(world, leader, victim)
    await writeBatches(world, leader, shape.batches)
    await world.stepTo(world.clock.now() + world.heartbeatMs)
    await world.crash(leader)
    // The leaderless window (3 heartbeats) has just begun: catch up through neighbours.
    const neighbours = sample(
      world.rng,
      others.filter((p) => p !== victim),
      others.length - 1,
    )
    const best = Math.max(...neighbours.map((p) => world.tail(p)))
    for (const peer of neighbours) await syncOnce(world, victim, tally, peer)
    if (world.tail(victim) !== best) {
      throw new InvariantViolation(
        'convergence',
        world.clock.now(),
        `${victim} synced to ${world.tail(victim)}, its neighbours hold ${best}`,
      )
    }
    await expectConverged(world, 'after the leader left')
    if (world.truth.truncatedEntries > 0) {
      throw new InvariantViolation(
        'convergence',
        world.clock.now(),
        `${world.truth.truncatedEntries} entries were cut after the leader left`,
      )
    }
    return counts(world, tally, { lies: 0, liarAvoided: false })
  } catch (error) {
    throw withTrace(world, error)
  } finally {
    await world.stopAll()
  }
}

export async function runLyingPeer(shape: SyncScenarioShape): Promise<SyncScenarioCounts> {
  const { world, leader } = await setUp(shape)
  const tally = { sessions: 0, failed: 0, entries: 0 }
  const lies: LyingCounts = { heads: 0, chunks: 0, byLie: {} }
  try {
    const others = world.peers.filter((p) => p !== leader)
    const victim = others[world.rng.int(0, others.length - 1)] as PeerId
    const suspects = world.peers.filter((p) => p !== victim)
    const liar = suspects[world.rng.int(0, suspects.length - 1)] as PeerId
    world.rewrites.set(liar, lyingRewrite(world.rng, lies))
    world.note(`liar ${liar} victim ${victim} leader ${leader}`)
    starve(world, leader, victim)
    await writeBatches(world, leader, shape.batches)
    await world.stepTo(world.clock.now() + world.heartbeatMs)
    // The victim asks the liar first, until it is caught. A lie that fails
    // verification must get the liar avoided; one the liar's own responder
    // refuses (a head claiming entries it cannot serve) or a chunk that
    // answers nothing (renumbered: dropped, the request times out) costs
    // time but never data.
    let liarAvoided = false
    let caught = false
    for (let i = 0; i < 3 && !liarAvoided; i++) {
      const result = await syncOnce(world, victim, tally, liar)
      if (result.status === 'error' && VERIFICATION_FAILURES.has(result.error.code)) caught = true
      liarAvoided = world.node(victim).manager.isPeerAvoided(liar)
    }
    if (caught && !liarAvoided) {
      throw new InvariantViolation(
        'inbound',
        world.clock.now(),
        `${victim} rejected ${liar}'s data but does not avoid it`,
      )
    }
    if (liarAvoided) {
      // The manager's own choice never falls on an avoided peer.
      const result = await syncOnce(world, victim, tally)
      if (result.peer === liar) {
        throw new InvariantViolation(
          'inbound',
          world.clock.now(),
          `${victim} synced with ${liar} while avoiding it`,
        )
      }
    }
    // Then honest neighbours, nearest first as the control loop would pick them.
    const target = world.tail(leader)
    const honest = world.peers.filter((p) => p !== victim && p !== liar)
    for (const peer of honest) {
      if (world.tail(victim) >= target) break
      await syncOnce(world, victim, tally, peer)
    }
    if (world.tail(victim) < target) {
      throw new InvariantViolation(
        'inbound',
        world.clock.now(),
        `${victim} holds ${world.tail(victim)} of ${target} after syncing with honest peers`,
      )
    }
    world.drops.delete(leader)
    await expectConverged(world, 'after the lies')
    return counts(world, tally, { lies: lies.heads + lies.chunks, liarAvoided })
  } catch (error) {
    throw withTrace(world, error)
  } finally {
    await world.stopAll()
  }
}

/** The message without the "invariant N (label) at t=…: " prefix the constructor adds again. */
export function bare(message: string): string {
  return message.replace(/^invariant \d+ \([^)]*\) at t=\d+: /, '')
}

function withTrace(world: SyncWorld, error: unknown): InvariantViolation {
  if (error instanceof InvariantViolation) {
    return new InvariantViolation(error.invariant, error.at, bare(error.message), {
      ...error.details,
      trace: world.trace.slice(-20),
    })
  }
  return new InvariantViolation('sim-error', world.clock.now(), `the run threw: ${String(error)}`, {
    stack: error instanceof Error ? error.stack : undefined,
    trace: world.trace.slice(-20),
  })
}
