/**
 * One deterministic simulated run: a Scenario played over one ManualClock
 * and one seeded Rng (every component draws from its own fork of it), with
 * the invariant checkers run at every quiescent step (see sim-stepper).
 * The same scenario always replays the same run: the digest of its trace
 * and final state is identical from run to run.
 *
 * Phases (sim-scenario): warmup, faults, heal, settle (converge within the
 * bound), quiet; then every acknowledged append must be in the final log
 * exactly once (invariant 1, check-acked), every peer stops, in-flight
 * frames drain, and no timer may be left on the clock and no append
 * promise unsettled.
 */
import { toString as hex } from 'uint8arrays/to-string'
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { loadEntryHasher } from '../log/entry-hasher.js'
import type { PeerId } from '../log/ids.js'
import type { PeerNode } from '../node/peer-node.js'
import { type Rng, seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import { type AckedCheck, checkAcked } from './check-acked.js'
import { BOUNDS_EVERY_HEARTBEATS, BoundsChecker, runtimeDepths } from './check-bounds.js'
import { ConvergenceChecker } from './check-convergence.js'
import { LeaderChecker } from './check-leaders.js'
import { LogChecker } from './check-logs.js'
import { InvariantViolation } from './invariant-violation.js'
import { PayloadCatalog } from './payload-catalog.js'
import { InboundAdversary } from './sim-adversary.js'
import { FaultInjector } from './sim-faults.js'
import { SimNetwork } from './sim-network.js'
import { OfflineWriteObserver } from './sim-offline-writes.js'
import { SimPeer } from './sim-peer.js'
import { ProposeReplayer } from './sim-propose-replay.js'
import { NodeTally, type SimCounts, summarizeRun } from './sim-result.js'
import { type Scenario, simAuthors } from './sim-scenario.js'
import { stepUntil } from './sim-stepper.js'
import { SimTrace } from './sim-trace.js'
import { ClientWorkload } from './sim-workload.js'

export interface SimOptions {
  /** Receives every trace line as it happens (verbose replay). */
  readonly verbose?: (line: string) => void
}

export interface SimResult {
  readonly seed: number
  readonly violation: InvariantViolation | undefined
  readonly digest: string
  readonly steps: number
  readonly simulatedMs: number
  readonly recentTrace: readonly string[]
  readonly counts: SimCounts
}

export class Simulation {
  readonly scenario: Scenario
  readonly clock = new ManualClock({ start: 0 })
  readonly rng: Rng
  readonly trace: SimTrace
  readonly net: SimNetwork
  readonly peers = new Map<PeerId, SimPeer>()
  readonly events = { roleChanges: 0, electionsWon: 0, divergenceSuspected: 0, diskPressure: 0 }
  /** What every node incarnation counted, collected as each one stops. */
  readonly tally = new NodeTally()
  steps = 0
  readonly #fork: () => Rng
  #simError: unknown

  constructor(scenario: Scenario, options: SimOptions = {}) {
    this.scenario = scenario
    this.rng = seededRng(scenario.seed)
    this.#fork = () => seededRng(this.rng.nextU32())
    this.trace = new SimTrace(options.verbose === undefined ? {} : { sink: options.verbose })
    this.net = new SimNetwork({
      clock: this.clock,
      rng: this.#fork(),
      minLatencyMs: scenario.minLatencyMs,
      maxLatencyMs: scenario.maxLatencyMs,
    })
  }

  async run(): Promise<SimResult> {
    const s = this.scenario
    const hasher = await loadEntryHasher()
    const catalog = new PayloadCatalog(this.#fork())
    const peerList: SimPeer[] = []
    const offline = new OfflineWriteObserver(this.net, s.channels)
    const replayer = new ProposeReplayer({
      clock: this.clock,
      rng: this.#fork(),
      net: this.net,
      trace: this.trace,
      meanGapMs: s.forgeryEveryMs,
    })
    const authors = s.signed ? simAuthors(s.peers.length) : undefined
    for (const id of s.peers) {
      const author = authors?.get(id)
      const peer = new SimPeer({
        id,
        ...(author === undefined
          ? {}
          : {
              signing: {
                signer: author.signer,
                signatures: { verifier: new NobleEd25519Verifier(), required: true },
              },
            }),
        clock: this.clock,
        rng: this.#fork(),
        net: this.net,
        hasher,
        heartbeatMs: s.heartbeatMs,
        channels: s.channels.filter((c) => c.replicaSet.includes(id)),
        hooks: {
          sent: (from, to, bytes) => {
            adversary.observeSent(from, to, bytes)
            replayer.observeSent(from, to, bytes)
          },
          deliver: (to, from, bytes) => adversary.deliver(to, from, bytes),
          started: (p, node) => this.#listen(p, node, logs),
          stopping: (_p, node) => this.tally.add(node),
        },
      })
      this.peers.set(id, peer)
      peerList.push(peer)
    }
    // The hooks above run only once peers start, after these exist.
    const adversary = new InboundAdversary({
      clock: this.clock,
      rng: this.#fork(),
      hasher,
      peers: peerList,
      trace: this.trace,
      meanGapMs: s.forgeryEveryMs,
      tamperRate: s.tamperRate,
    })
    const logs = new LogChecker(peerList, hasher, catalog)
    await logs.open()
    const leaders = new LeaderChecker(
      this.net,
      this.peers,
      s.channels,
      s.heartbeatMs,
      s.maxLatencyMs + s.heartbeatMs,
    )
    const bounds = new BoundsChecker(peerList, runtimeDepths)
    const workload = new ClientWorkload({
      clock: this.clock,
      rng: this.#fork(),
      peers: this.peers,
      channels: s.channels,
      catalog,
      trace: this.trace,
      meanGapMs: s.appendEveryMs,
      onAck: (append) => offline.onAck(append),
    })
    const faults = new FaultInjector({
      clock: this.clock,
      rng: this.#fork(),
      net: this.net,
      peers: peerList,
      channels: s.channels,
      trace: this.trace,
      heartbeatMs: s.heartbeatMs,
      meanGapMs: s.faultEveryMs,
      onError: (error) => {
        this.#simError ??= error
      },
    })
    let convergence: ConvergenceChecker | undefined
    let nextBoundsAt = 0
    const afterStep = async (now: number) => {
      this.steps += 1
      if (this.#simError !== undefined) throw this.#asViolation(now, this.#simError)
      await logs.afterStep(now)
      leaders.check(now)
      if (now >= nextBoundsAt) {
        bounds.check(now)
        nextBoundsAt = now + BOUNDS_EVERY_HEARTBEATS * s.heartbeatMs
      }
      // Nothing in the append path waits on the network: a heartbeat is generous.
      workload.checkSettled(now, s.heartbeatMs)
      convergence?.check(now)
      await adversary.maybeInject(now)
      replayer.maybeReplay(now)
    }
    const stepTo = (until: number) => stepUntil(this.clock, until, afterStep)

    let violation: InvariantViolation | undefined
    let acked: AckedCheck | undefined
    try {
      this.trace.note(0, `scenario ${JSON.stringify(s)}`)
      for (const peer of peerList) await peer.start()
      workload.start()
      await stepTo(s.warmupMs)
      faults.start()
      await stepTo(s.warmupMs + s.faultMs)
      workload.stop()
      adversary.tampering = false
      replayer.active = false
      await faults.healAll()
      const healedAt = this.clock.now()
      convergence = new ConvergenceChecker({
        healedAt,
        boundMs: s.settleBoundMs,
        peers: this.peers,
        channels: s.channels,
        logs,
      })
      const deadline = healedAt + s.settleBoundMs + s.heartbeatMs
      while (this.clock.now() < deadline && convergence.convergedAt === undefined) {
        await stepTo(this.clock.now() + s.heartbeatMs)
      }
      convergence.check(this.clock.now())
      this.trace.note(
        this.clock.now(),
        `converged ${(convergence.convergedAt ?? 0) - healedAt} ms after heal`,
      )
      await stepTo(this.clock.now() + s.quietMs)
      if (convergence.convergedAt !== undefined) {
        acked = checkAcked(this.clock.now(), workload.acked, convergence.leaders, logs)
      }
    } catch (error) {
      violation = this.#asViolation(this.clock.now(), error)
    }
    workload.stop()
    faults.stop()
    try {
      if (violation === undefined) await this.#shutdown(workload)
      else for (const peer of this.peers.values()) await peer.stop()
    } catch (error) {
      violation ??= this.#asViolation(this.clock.now(), error)
    }
    const counts = summarizeRun({
      sim: this,
      logs,
      leaders,
      bounds,
      workload,
      faults,
      adversary,
      convergence,
      acked,
      offline,
      replayer,
    })
    this.#digestFinalState(logs, counts)
    if (violation !== undefined) this.trace.note(violation.at, `VIOLATION ${violation.message}`)
    return {
      seed: s.seed,
      violation,
      digest: this.trace.digest(),
      steps: this.steps,
      simulatedMs: this.clock.now(),
      recentTrace: this.trace.recent(),
      counts,
    }
  }

  /** Stops every peer, drains in-flight frames, then nothing may be left. */
  async #shutdown(workload: ClientWorkload): Promise<void> {
    for (const peer of this.peers.values()) await peer.stop()
    const s = this.scenario
    await stepUntil(
      this.clock,
      this.clock.now() + s.maxLatencyMs + s.heartbeatMs + 1,
      () => undefined,
    )
    const now = this.clock.now()
    if (workload.pending > 0) {
      throw new InvariantViolation(
        'append-settles',
        now,
        `${workload.pending} appends never settled`,
      )
    }
    const leaked = this.clock.pendingTimers()
    if (leaked > 0) {
      throw new InvariantViolation(
        'timer-leak',
        now,
        `${leaked} timers left after every peer stopped`,
      )
    }
  }

  #listen(peer: SimPeer, node: PeerNode, logs: LogChecker): void {
    const live = () => peer.node === node
    node.on('role-changed', (e) => {
      if (!live()) return
      this.events.roleChanges += 1
      if (e.detail.to === 'leader') this.events.electionsWon += 1
      this.trace.note(
        this.clock.now(),
        `role ${peer.id} ${e.detail.channel} ${e.detail.from}->${e.detail.to}`,
      )
    })
    node.on('catch-up-progress', (e) => {
      if (live()) logs.noteServed(peer.id, e.detail.channel, e.detail.from, e.detail.tailSeq)
    })
    node.on('log-reset', (e) => {
      if (!live()) return
      const { channel, firstSeq, nextSeq } = e.detail
      this.trace.note(this.clock.now(), `log-reset ${peer.id} ${channel} [${firstSeq},${nextSeq})`)
    })
    node.on('divergence-suspected', (e) => {
      if (!live()) return
      this.events.divergenceSuspected += 1
      this.trace.note(this.clock.now(), `divergence suspected ${peer.id} ${e.detail.channel}`)
    })
    node.on('disk-pressure', (e) => {
      if (!live()) return
      this.events.diskPressure += 1
      this.trace.note(
        this.clock.now(),
        `disk pressure ${peer.id} ${e.detail.channel} ${e.detail.action}`,
      )
    })
  }

  #asViolation(now: number, error: unknown): InvariantViolation {
    if (error instanceof InvariantViolation) return error
    return new InvariantViolation('sim-error', now, `the simulation failed: ${String(error)}`, {
      stack: error instanceof Error ? error.stack : undefined,
    })
  }

  #digestFinalState(logs: LogChecker, counts: SimCounts): void {
    for (const peer of this.peers.values()) {
      for (const plan of peer.channels) {
        const m = logs.mirror(peer.id, plan.channel)
        this.trace.absorb(
          `${peer.id} ${plan.channel} ${m.firstSeq} ${m.nextSeq} ${hex(m.lastHash, 'base16')}`,
        )
      }
    }
    this.trace.absorb(JSON.stringify(counts))
  }
}

export function runSimulation(scenario: Scenario, options: SimOptions = {}): Promise<SimResult> {
  return new Simulation(scenario, options).run()
}
