/**
 * Invariant 5 at the front door: 100,000 random and mutated frames through
 * `PeerNode.receive` on a running peer. The material is every kind of
 * frame captured from a real run (heartbeats, requests, responses with
 * entries, NACKs), then damaged (bits flipped, bytes overwritten,
 * truncated, extended, spliced, kind changed) or replaced by random bytes,
 * and sent as members, as outsiders and as a stranger.
 *
 * Each frame is classified by what it is, and the peer must do exactly
 * that: no exception escapes; a frame that does not decode is counted as a
 * decode reject, one for a channel not open here as a route drop, one from
 * outside the channel's replica set as not-in-replica-set, an answer
 * (response or NACK) to no request in flight as unknown-request or
 * not-believed-leader. None of these changes any channel's role, followed
 * leader or log. Members' heartbeats and requests are valid and
 * authorised and may move roles, but nothing here may write the log (no
 * answer is live). At the end the counters equal the classification.
 */
import { equals } from 'uint8arrays/equals'
import { describe, expect, it } from 'vitest'
import { loadEntryHasher } from '../log/entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import { PeerNode } from '../node/peer-node.js'
import { type Rng, seededRng } from '../random/rng.js'
import { NACK_REASONS } from '../replication/messages.js'
import { ManualClock } from '../time/manual-clock.js'
import { encodeFrame } from '../wire/frame-codec.js'
import { mutateFrame, randomBytes, tryDecode } from './frame-forgery.js'
import { nodeFingerprint } from './sim-adversary.js'
import { SimNetwork } from './sim-network.js'
import { settle } from './sim-stepper.js'

const SEED = Number(process.env.SEED ?? 20_240_611)
const FRAMES = 100_000
const [P1, P2, P3] = [peerId('p1'), peerId('p2'), peerId('p3')]
const STRANGER = peerId('stranger')
const SETS = new Map<ChannelId, PeerId[]>([
  [channelId('ch-a'), [P1, P2, P3]],
  [channelId('ch-b'), [P2, P3]],
  [channelId('ch-c'), [P1, P3]],
])
const CORPUS_PER_KIND = 40

type Verdict = 'undecodable' | 'unknown-channel' | 'outsider' | 'stale-answer' | 'authorised'

/** Three peers; p2 (the victim) leads ch-b and follows p1 on ch-a; ch-c is not its. */
async function meshWithTraffic() {
  const clock = new ManualClock({ start: 1000 })
  const net = new SimNetwork({ clock, rng: seededRng(SEED), minLatencyMs: 1, maxLatencyMs: 4 })
  const hasher = await loadEntryHasher()
  const corpus = new Map<string, Uint8Array[]>()
  const nodes = new Map<PeerId, PeerNode>()
  for (const self of [P1, P2, P3]) {
    const store = new MemoryLogStore()
    await store.open()
    const node = new PeerNode({
      self,
      store,
      hasher,
      clock,
      rng: seededRng(SEED + self.length),
      heartbeatMs: 100,
      sink: {
        send(to, frame) {
          const kind = tryDecode(frame)?.kind ?? 'none'
          const kept = corpus.get(kind) ?? []
          if (kept.length < CORPUS_PER_KIND) corpus.set(kind, [...kept, frame])
          net.send(self, to, frame)
          return 'queued'
        },
      },
    })
    net.attach(self, (from, bytes) => node.receive(from, bytes))
    nodes.set(self, node)
  }
  for (const [channel, set] of SETS) {
    for (const id of set) await nodes.get(id)?.open(channel, { replicaSet: set })
  }
  const leader = (channel: ChannelId) =>
    [...nodes.values()].find((n) => n.runtime(channel)?.role === 'leader')
  for (let i = 0; i < 30; i++) await clock.advanceAsync(50)
  for (let round = 0; round < 5; round++) {
    for (const channel of SETS.keys()) {
      await leader(channel)?.append(channel, [Uint8Array.of(round, 1), Uint8Array.of(round, 2)])
    }
    for (let i = 0; i < 4; i++) await clock.advanceAsync(50)
  }
  for (let i = 0; i < 20; i++) await clock.advanceAsync(50)
  // NACKs are rare in a healthy mesh: add one of each reason from each member.
  const nacks = NACK_REASONS.map((reason) =>
    encodeFrame({
      kind: 'sync-nack',
      message: {
        channelId: channelId('ch-a'),
        sinceSeq: 3 as never,
        reason,
        leaderFirstRetainedSeq: 7 as never,
        requestId: 99n,
        detail: 'fuzz',
      },
    }),
  )
  corpus.set('sync-nack', [...(corpus.get('sync-nack') ?? []), ...nacks])
  return { clock, net, nodes, corpus, victim: nodes.get(P2) as PeerNode }
}

function classify(victim: PeerNode, from: PeerId, bytes: Uint8Array): Verdict {
  const frame = tryDecode(bytes)
  if (frame === undefined) return 'undecodable'
  const channel = frame.message.channelId
  if (victim.runtime(channel) === undefined) return 'unknown-channel'
  if (!(SETS.get(channel) ?? []).includes(from)) return 'outsider'
  if (frame.kind === 'sync-response' || frame.kind === 'sync-nack') return 'stale-answer'
  return 'authorised'
}

function nextFrame(rng: Rng, material: readonly Uint8Array[]): Uint8Array {
  const roll = rng.nextFloat()
  if (roll < 0.15) return randomBytes(rng, 80)
  let frame = material[rng.int(0, material.length - 1)] as Uint8Array
  if (roll < 0.2) return frame
  for (let n = rng.int(1, 3); n > 0; n--) frame = mutateFrame(rng, frame)
  return frame
}

/** The victim's logs, as states: the fuzz may never move them (no answer it sends is live). */
function logsOf(node: PeerNode) {
  return node.channels.map((c) => node.store.state(c))
}

function sameLogs(a: ReturnType<typeof logsOf>, b: ReturnType<typeof logsOf>): boolean {
  return a.every((s, i) => {
    const t = b[i]
    return (
      t !== undefined &&
      s.firstSeq === t.firstSeq &&
      s.nextSeq === t.nextSeq &&
      equals(s.lastHash, t.lastHash)
    )
  })
}

function runtimeDrops(node: PeerNode, ...reasons: string[]): number {
  let total = 0
  for (const channel of node.channels) {
    const drops = node.runtime(channel)?.metrics().drops as Record<string, number> | undefined
    for (const reason of reasons) total += drops?.[reason] ?? 0
  }
  return total
}

describe('inbound fuzz: PeerNode.receive', () => {
  it(`takes ${FRAMES} random and mutated frames: no throw, no forged change, every rejection counted (seed ${SEED})`, async () => {
    const { net, corpus, victim } = await meshWithTraffic()
    for (const kind of ['heartbeat', 'sync-request', 'sync-response', 'sync-nack']) {
      expect(corpus.get(kind)?.length ?? 0, `captured ${kind} frames`).toBeGreaterThan(0)
    }
    expect(victim.runtime(channelId('ch-b'))?.role).toBe('leader')
    expect(victim.runtime(channelId('ch-a'))?.role).toBe('replica')
    // From here on only the fuzzer talks to the victim, and its clock stands still.
    net.crash(P2)
    for (const channel of victim.channels) {
      expect(victim.runtime(channel)?.metrics().outstandingRequests).toBe(0)
    }
    const material = [...corpus.values()].flat()
    const rng = seededRng(SEED)
    const senders = [P1, P3, STRANGER]
    const verdicts: Record<Verdict, number> = {
      undecodable: 0,
      'unknown-channel': 0,
      outsider: 0,
      'stale-answer': 0,
      authorised: 0,
    }
    const logs = logsOf(victim)
    // Most frames are refused by throwing a DecodeError; stack traces would
    // cost more than everything else in the loop.
    const stackTraceLimit = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    try {
      for (let i = 0; i < FRAMES; i++) {
        const from = senders[rng.int(0, senders.length - 1)] as PeerId
        const bytes = nextFrame(rng, material)
        const verdict = classify(victim, from, bytes)
        verdicts[verdict] += 1
        const before = verdict === 'authorised' ? '' : nodeFingerprint(victim)
        const counted = victim.decodeRejects.total + victim.router.drops.total
        let queued = false
        try {
          queued = victim.receive(from, bytes)
        } catch (error) {
          throw new Error(`frame ${i} threw (replay with SEED=${SEED}): ${String(error)}`)
        }
        if (queued) await settle()
        // Plain checks in the loop (expect() per frame would dominate the run).
        const where = `frame ${i}, ${verdict} from ${from} (replay with SEED=${SEED})`
        const shouldQueue = verdict !== 'undecodable' && verdict !== 'unknown-channel'
        if (queued !== shouldQueue) throw new Error(`${where}: receive returned ${queued}`)
        const countedNow = victim.decodeRejects.total + victim.router.drops.total
        if (!shouldQueue && countedNow !== counted + 1) throw new Error(`${where}: not counted`)
        if (verdict !== 'authorised') {
          const after = nodeFingerprint(victim)
          if (after !== before) throw new Error(`${where}: changed ${before} to ${after}`)
        }
        if (!sameLogs(logsOf(victim), logs)) throw new Error(`${where}: the log changed`)
      }
    } finally {
      Error.stackTraceLimit = stackTraceLimit
    }
    for (const [verdict, n] of Object.entries(verdicts)) expect(n, verdict).toBeGreaterThan(100)
    // Every rejection counted, by reason, exactly.
    expect(victim.decodeRejects.total).toBe(verdicts.undecodable)
    expect(victim.router.drops.snapshot()).toMatchObject({
      'no-runtime': verdicts['unknown-channel'],
      total: verdicts['unknown-channel'],
    })
    expect(runtimeDrops(victim, 'not-in-replica-set')).toBe(verdicts.outsider)
    expect(runtimeDrops(victim, 'unknown-request', 'not-believed-leader')).toBe(
      verdicts['stale-answer'],
    )
    for (const channel of victim.channels) {
      expect(victim.runtime(channel)?.metrics().handlerErrorsTotal).toBe(0)
    }
    await victim.stop()
  }, 300_000)
})
