/**
 * The simulator as a benchmark of the replication runtime: `peers`
 * PeerNodes, `channels` channels each replicated by `replicas` of them
 * (consecutive peers, so every peer carries the same share), clean links,
 * clients appending on each channel's leader now and then, for
 * `seconds` of simulated time. No checkers run: this measures the runtime,
 * the codec, the stores and the simulated network, not the oracle.
 *
 * A channel-tick is one heartbeat period of one channel (each of its
 * replicas ticks once). If the runtime's cost per channel does not depend
 * on how many channels there are, wall time per 1,000 channel-ticks is the
 * same at 100, 300 and 1,000 channels.
 *
 * Wall and CPU time come from the caller (`wallNow`, `cpuNow`): the
 * simulation itself only ever reads its ManualClock. On a shared machine
 * wall time also measures the neighbours; CPU time is the steadier figure.
 */
import { loadEntryHasher } from '../log/entry-hasher.js'
import { channelId, type PeerId, peerId } from '../log/ids.js'
import { HEARTBEAT_MS_DEFAULT } from '../node/peer-node.js'
import { type Rng, seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import { SimNetwork } from './sim-network.js'
import { SimPeer } from './sim-peer.js'
import type { SimChannelPlan } from './sim-scenario.js'
import { stepUntil } from './sim-stepper.js'

export interface BenchOptions {
  readonly channels: number
  readonly peers?: number
  readonly replicas?: number
  readonly seconds?: number
  readonly heartbeatMs?: number
  /** Mean gap between appends on one channel. */
  readonly appendEveryMs?: number
  readonly seed?: number
  /** Wall-clock milliseconds, for timing only. */
  readonly wallNow: () => number
  /** CPU milliseconds used by this process so far, when the host can tell. */
  readonly cpuNow?: () => number
}

export interface BenchRun {
  readonly channels: number
  readonly peers: number
  readonly replicas: number
  readonly simulatedSeconds: number
  readonly heartbeatMs: number
  readonly wallMs: number
  /** CPU time of the run; null when no `cpuNow` was given. */
  readonly cpuMs: number | null
  /** Runtime heartbeat ticks (every replica of every channel, every period). */
  readonly ticks: number
  readonly channelTicks: number
  readonly frames: number
  readonly steps: number
  readonly appendsAcked: number
  readonly msPer1000ChannelTicks: number
  readonly cpuMsPer1000ChannelTicks: number | null
  /** Every channel ends with one leader and every replica at its tail. */
  readonly converged: boolean
}

function plans(channels: number, peers: readonly PeerId[], replicas: number): SimChannelPlan[] {
  return Array.from({ length: channels }, (_, i) => ({
    channel: channelId(`bench-${i}`),
    replicaSet: Array.from(
      { length: replicas },
      (_, k) => peers[(i * replicas + k) % peers.length] as PeerId,
    ).sort(),
    diskPressurePolicy: 'withdraw' as const,
  }))
}

function leaderOf(peers: ReadonlyMap<PeerId, SimPeer>, plan: SimChannelPlan): SimPeer | undefined {
  for (const id of plan.replicaSet) {
    const peer = peers.get(id)
    if (peer?.role(plan.channel) === 'leader') return peer
  }
  return undefined
}

function converged(peers: ReadonlyMap<PeerId, SimPeer>, all: readonly SimChannelPlan[]): boolean {
  return all.every((plan) => {
    const leader = leaderOf(peers, plan)
    const tail = leader?.node?.store.state(plan.channel).nextSeq
    return (
      leader !== undefined &&
      plan.replicaSet.every((id) => {
        const peer = peers.get(id) as SimPeer
        return (
          peer.node?.store.state(plan.channel).nextSeq === tail &&
          (peer === leader || peer.follows(plan.channel) === leader.id)
        )
      })
    )
  })
}

/** Appends on random channels' leaders, about one per `appendEveryMs` per channel. */
function startClients(
  clock: ManualClock,
  rng: Rng,
  peers: ReadonlyMap<PeerId, SimPeer>,
  all: readonly SimChannelPlan[],
  appendEveryMs: number,
  acked: { count: number },
): () => void {
  let stopped = false
  const meanGap = appendEveryMs / all.length
  const next = () => {
    clock.setTimer(rng.int(0, Math.ceil(2 * meanGap)), () => {
      if (stopped) return
      const plan = all[rng.int(0, all.length - 1)] as SimChannelPlan
      const payload = Uint8Array.of(rng.int(0, 255), rng.int(0, 255), rng.int(0, 255))
      leaderOf(peers, plan)
        ?.node?.append(plan.channel, [payload])
        .then(
          () => {
            acked.count += 1
          },
          () => undefined,
        )
      next()
    })
  }
  next()
  return () => {
    stopped = true
  }
}

const per1000 = (ms: number, channelTicks: number) =>
  Math.round((ms / channelTicks) * 1_000_000) / 1000

export async function runBench(options: BenchOptions): Promise<BenchRun> {
  const peerCount = options.peers ?? 20
  const replicas = options.replicas ?? 3
  const seconds = options.seconds ?? 60
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS_DEFAULT
  const root = seededRng(options.seed ?? 1)
  const clock = new ManualClock({ start: 0 })
  const net = new SimNetwork({ clock, rng: seededRng(root.nextU32()), maxLatencyMs: 10 })
  const hasher = await loadEntryHasher()
  const ids = Array.from({ length: peerCount }, (_, i) =>
    peerId(`peer-${String(i).padStart(2, '0')}`),
  )
  const all = plans(options.channels, ids, replicas)
  const peers = new Map<PeerId, SimPeer>()
  for (const id of ids) {
    peers.set(
      id,
      new SimPeer({
        id,
        clock,
        rng: seededRng(root.nextU32()),
        net,
        hasher,
        heartbeatMs,
        channels: all.filter((plan) => plan.replicaSet.includes(id)),
      }),
    )
  }
  const started = options.wallNow()
  const cpuStarted = options.cpuNow?.()
  for (const peer of peers.values()) await peer.start()
  const acked = { count: 0 }
  const stopClients = startClients(
    clock,
    seededRng(root.nextU32()),
    peers,
    all,
    options.appendEveryMs ?? 2_000,
    acked,
  )
  const end = seconds * 1_000
  // Clients stop a few heartbeats early so the end state can be compared.
  let steps = await stepUntil(clock, end - 4 * heartbeatMs, () => undefined)
  stopClients()
  steps += await stepUntil(clock, end, () => undefined)
  const wallMs = options.wallNow() - started
  const cpuMs = cpuStarted === undefined ? null : (options.cpuNow?.() ?? cpuStarted) - cpuStarted
  const done = converged(peers, all)
  for (const peer of peers.values()) await peer.stop()
  const channelTicks = options.channels * Math.floor(end / heartbeatMs)
  return {
    channels: options.channels,
    peers: peerCount,
    replicas,
    simulatedSeconds: seconds,
    heartbeatMs,
    wallMs: Math.round(wallMs),
    cpuMs: cpuMs === null ? null : Math.round(cpuMs),
    ticks: channelTicks * replicas,
    channelTicks,
    frames: net.counters.sent,
    steps,
    appendsAcked: acked.count,
    msPer1000ChannelTicks: per1000(wallMs, channelTicks),
    cpuMsPer1000ChannelTicks: cpuMs === null ? null : per1000(cpuMs, channelTicks),
    converged: done,
  }
}
