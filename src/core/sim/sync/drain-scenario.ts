/**
 * The drain scenario (issue 9, item 5): every peer runs the mesh control
 * loop (seed 002) and a ControlBridge over its SyncNode, as the worker
 * does. Clients append at whichever peer leads; then the leader's tab
 * closes: `drain-requested` (tab-closing) reaches its loop, which pulls its
 * tick in, stops standing, hands every led channel to the best live
 * replica, and finishes the drain once it leads nothing; then the peer dies.
 *
 * Measured from the drain request, at every simulated step:
 * - leaderless time: no live peer leads and accepts appends (a leader
 *   handing off refuses them, so it counts as no leader);
 * - failover time: until every live peer follows the new leader.
 * Both must stay within one heartbeat interval — the cost of a hand-off,
 * where a crash costs a miss window (3 heartbeats) and an election. Every
 * acknowledged append must be in the converged log, and every log stays a
 * prefix of the one history at every step.
 */
import { toString as hex } from 'uint8arrays/to-string'
import type { ControlAction } from '../../control/control-actions.js'
import type { ControlHandle } from '../../control/control-handle.js'
import { ControlLoop } from '../../control/control-loop.js'
import { loadEntryHasher } from '../../log/entry-hasher.js'
import type { PeerId, Seq } from '../../log/ids.js'
import { ControlBridge } from '../../node/control-bridge.js'
import { seededRng } from '../../random/rng.js'
import { NotLeaderError } from '../../replication/replication-errors.js'
import { InvariantViolation } from '../invariant-violation.js'
import { bare, type SyncScenarioShape } from './sync-scenarios.js'
import { SIM_CHANNEL, SyncWorld } from './sync-world.js'

export interface DrainCounts {
  readonly leaderlessMs: number
  readonly failoverMs: number
  readonly handoffs: number
  readonly ackedEntries: number
  readonly steps: number
}

interface Control {
  readonly loop: ControlLoop
  readonly bridge: ControlBridge
  readonly handle: ControlHandle
}

export async function runDrain(shape: SyncScenarioShape): Promise<DrainCounts> {
  const world = await SyncWorld.create({
    seed: shape.seed,
    peerCount: shape.peerCount,
    heartbeatMs: shape.heartbeatMs,
    maxLatencyMs: shape.maxLatencyMs,
  })
  const hb = shape.heartbeatMs
  const hasher = await loadEntryHasher()
  const controls = new Map<PeerId, Control>()
  let finished: Extract<ControlAction, { kind: 'drain-finish' }> | undefined
  for (const peer of world.peers) {
    const loop = new ControlLoop({
      thisPeer: peer,
      clock: world.clock,
      rng: seededRng(world.rng.nextU32()),
      hasher,
      config: {
        tickIntervalMs: hb,
        handoffRetryMs: 2 * hb,
        defaultDrainDeadlineMs: 20 * hb,
        syncIntervalMs: 20 * hb,
        actionRetryMs: 20 * hb,
        snapshotEventMinIntervalMs: hb,
      },
    })
    const bridge = new ControlBridge({
      loop,
      node: world.node(peer),
      onDrainFinished: (action) => {
        finished = action
      },
    })
    const handle = loop.acquireHandle()
    loop.start()
    bridge.start()
    for (const other of world.peers) {
      if (other === peer) continue
      handle.tryPublish({ type: 'peer-connected', peer: other })
      handle.tryPublish({ type: 'rtt-sample', peer: other, rttMs: world.rng.int(1, 40) })
    }
    controls.set(peer, { loop, bridge, handle })
  }

  const acked = new Map<number, string>()
  let appending = true
  const appendLoop = async () => {
    let n = 0
    while (appending) {
      const leader = world.live().find((p) => world.role(p) === 'leader')
      if (leader !== undefined) {
        const payloads = Array.from({ length: world.rng.int(1, 8) }, (_, j) =>
          Uint8Array.of(n & 0xff, j, 0xd2),
        )
        n += 1
        try {
          const result = await world.node(leader).node.append(SIM_CHANNEL, payloads)
          // A leader handing off queues its writes in the outbox: no seq to check yet.
          if (!('pending' in result)) {
            const entries = await world
              .store(leader)
              .read(SIM_CHANNEL, result.firstSeq, result.nextSeq)
            for (const e of entries) acked.set(e.seq, hex(e.hash, 'base16'))
          }
        } catch (error) {
          if (!(error instanceof NotLeaderError)) throw error
        }
      }
      await new Promise<void>((resolve) => world.clock.setTimer(Math.ceil(hb / 3), resolve))
    }
  }

  let leaderlessSince: number | undefined
  let leaderlessMs = 0
  let failoverMs: number | undefined
  let drainAt: number | undefined
  let drained: PeerId | undefined
  world.checks.push((now) => {
    if (drainAt === undefined || drained === undefined) return
    const leaders = world
      .live()
      .filter(
        (p) =>
          world.role(p) === 'leader' &&
          world.node(p).node.runtime(SIM_CHANNEL)?.handingOffTo === undefined,
      )
    if (leaders.length === 0) leaderlessSince ??= now
    else if (leaderlessSince !== undefined) {
      leaderlessMs = Math.max(leaderlessMs, now - leaderlessSince)
      leaderlessSince = undefined
    }
    const successor = leaders.find((p) => p !== drained)
    if (
      failoverMs === undefined &&
      successor !== undefined &&
      world.live().every((p) => p === successor || world.follows(p) === successor)
    ) {
      failoverMs = now - drainAt
    }
  })

  let appends: Promise<void> | undefined
  try {
    await world.openAll()
    const leader = await world.awaitSettledLeader(40 * hb)
    appends = appendLoop()
    await world.stepTo(world.clock.now() + world.rng.int(4, 12) * hb)
    // The tab closes.
    drained = leader
    drainAt = world.clock.now()
    world.note(`drain ${leader}`)
    const control = controls.get(leader)
    control?.handle.tryPublish({ type: 'drain-requested', reason: 'tab-closing' })
    const deadline = world.clock.now() + 20 * hb
    while (finished === undefined && world.clock.now() < deadline) {
      await world.stepTo(world.clock.now() + Math.ceil(hb / 4))
    }
    if (finished?.outcome !== 'drained') {
      throw new InvariantViolation(
        'convergence',
        world.clock.now(),
        `the drain of ${leader} ended ${finished?.outcome ?? 'never'}`,
      )
    }
    const handoffs = control?.bridge.counts.handoffsSent ?? 0
    await stopControl(world, controls, leader)
    await world.crash(leader)
    await world.stepTo(world.clock.now() + 6 * hb)
    appending = false
    await world.until(appends, 10 * hb)
    if (leaderlessSince !== undefined)
      leaderlessMs = Math.max(leaderlessMs, world.clock.now() - leaderlessSince)
    if (failoverMs === undefined || failoverMs > hb || leaderlessMs > hb) {
      throw new InvariantViolation(
        'convergence',
        world.clock.now(),
        `after the drain of ${leader}: failover ${failoverMs ?? 'never'} ms, leaderless ${leaderlessMs} ms (heartbeat ${hb} ms)`,
      )
    }
    const newLeader = await world.awaitSettledLeader(40 * hb)
    await world.stepTo(world.clock.now() + 4 * hb)
    const tail = world.tail(newLeader)
    const log = await world.store(newLeader).read(SIM_CHANNEL, 0 as Seq, tail as Seq)
    for (const [seq, hash] of acked) {
      const held = log[seq]
      if (held === undefined || hex(held.hash, 'base16') !== hash) {
        throw new InvariantViolation(
          'prefix',
          world.clock.now(),
          `acknowledged entry ${seq} is not in ${newLeader}'s log after the drain`,
        )
      }
    }
    return { leaderlessMs, failoverMs, handoffs, ackedEntries: acked.size, steps: world.steps }
  } catch (error) {
    if (error instanceof InvariantViolation) {
      throw new InvariantViolation(error.invariant, error.at, bare(error.message), {
        ...error.details,
        trace: world.trace.slice(-20),
      })
    }
    throw error
  } finally {
    appending = false
    for (const peer of [...controls.keys()]) await stopControl(world, controls, peer)
    await world.stopAll()
  }
}

async function stopControl(
  world: SyncWorld,
  controls: Map<PeerId, Control>,
  peer: PeerId,
): Promise<void> {
  const control = controls.get(peer)
  if (control === undefined) return
  controls.delete(peer)
  control.handle.close()
  await world.until(
    (async () => {
      await control.loop.stop()
      await control.bridge.stop()
    })(),
    10_000,
  )
}
