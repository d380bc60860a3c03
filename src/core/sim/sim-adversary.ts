/**
 * Invariant 5 inside the simulation: frames from peers outside a channel's
 * replica set, malformed frames and forged entries change nothing and are
 * counted. Two attackers:
 *
 * - At random quiescent points (between steps, nothing else in flight) the
 *   adversary hands one bad frame to a running peer's `receive`, lets it
 *   settle, and checks the peer exactly: every channel's role, followed
 *   leader, first/next seq and last hash are unchanged, and its rejection
 *   counters (decode rejects + route drops + runtime inbound drops) grew.
 *   Forged entries (a payload altered after sealing) come from the
 *   victim's followed leader with its live request token when one is
 *   known (read off the wire from its last SyncRequest), so they get past
 *   every gate and only the hash check stops them.
 * - A man in the middle alters a share (`tamperRate`) of real SyncResponses
 *   in flight: one payload byte changes, the hash does not. Nothing checks
 *   these frame by frame (other traffic is in flight); the log checker
 *   proves none of their entries ever lands in a log.
 */
import { toString as hex } from 'uint8arrays/to-string'
import type { EntryHasher } from '../log/entry-hasher.js'
import { channelId, type PeerId, peerId } from '../log/ids.js'
import type { PeerNode } from '../node/peer-node.js'
import type { Rng } from '../random/rng.js'
import type { Clock } from '../time/clock.js'
import { encodeFrame, FRAME_KIND_CODES } from '../wire/frame-codec.js'
import {
  forgedResponse,
  mutateFrame,
  randomBytes,
  tamperedResponse,
  tryDecode,
} from './frame-forgery.js'
import { InvariantViolation } from './invariant-violation.js'
import type { SimPeer } from './sim-peer.js'
import type { SimChannelPlan } from './sim-scenario.js'
import { settle } from './sim-stepper.js'
import type { SimTrace } from './sim-trace.js'

export const FORGERIES = [
  'outsider-heartbeat',
  'outsider-request',
  'outsider-response',
  'forged-hash',
  'forged-chain',
  'stale-nack',
  'random-bytes',
  'mutated-frame',
  'unknown-channel',
] as const
export type Forgery = (typeof FORGERIES)[number]

const MALLORY = peerId('mallory')
const RECENT_FRAMES = 32

export interface AdversaryOptions {
  readonly clock: Clock
  readonly rng: Rng
  readonly hasher: EntryHasher
  readonly peers: readonly SimPeer[]
  readonly trace: SimTrace
  readonly meanGapMs: number
  readonly tamperRate: number
}

/** Everything a bad frame must not change, as one comparable string. */
export function nodeFingerprint(node: PeerNode): string {
  return node.channels
    .map((channel) => {
      const runtime = node.runtime(channel)
      const s = node.store.state(channel)
      return `${channel}:${runtime?.role}:${runtime?.believedLeader}:${s.firstSeq}:${s.nextSeq}:${hex(s.lastHash, 'base16')}`
    })
    .join('|')
}

/** Every rejection a node counts: decode rejects, route drops, runtime inbound drops. */
export function rejectionsCounted(node: PeerNode): number {
  let total = node.decodeRejects.total + node.router.drops.total
  for (const channel of node.channels) total += node.runtime(channel)?.metrics().drops.total ?? 0
  return total
}

export class InboundAdversary {
  readonly injected: Record<Forgery, number> = Object.fromEntries(
    FORGERIES.map((f) => [f, 0]),
  ) as Record<Forgery, number>
  tampered = 0
  /** The man in the middle is a fault: the heal ends it. */
  tampering = true
  readonly #o: AdversaryOptions
  /** Last SyncRequest token seen on the wire, per `replica|channel`. */
  readonly #tokens = new Map<string, { leader: PeerId; requestId: bigint }>()
  readonly #recent: Uint8Array[] = []
  #nextAt: number

  constructor(options: AdversaryOptions) {
    this.#o = options
    this.#nextAt = options.rng.int(1, 2 * options.meanGapMs)
  }

  get total(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0)
  }

  /** SimPeer hook: watches frames on the wire (tokens, material to mutate). */
  observeSent(from: PeerId, to: PeerId, bytes: Uint8Array): void {
    if (this.#recent.length < RECENT_FRAMES) this.#recent.push(bytes)
    else this.#recent[this.#o.rng.int(0, RECENT_FRAMES - 1)] = bytes
    if (bytes[1] !== FRAME_KIND_CODES['sync-request']) return
    const frame = tryDecode(bytes)
    if (frame?.kind !== 'sync-request') return
    this.#tokens.set(`${from}|${frame.message.channelId}`, {
      leader: to,
      requestId: frame.message.requestId,
    })
  }

  /** SimPeer hook: the man in the middle. */
  deliver(to: PeerId, from: PeerId, bytes: Uint8Array): Uint8Array {
    const { rng, tamperRate, trace, clock } = this.#o
    if (!this.tampering || tamperRate === 0) return bytes
    if (bytes[1] !== FRAME_KIND_CODES['sync-response']) return bytes
    if (rng.nextFloat() >= tamperRate) return bytes
    const forged = tamperedResponse(rng, bytes)
    if (forged === undefined) return bytes
    this.tampered += 1
    trace.note(clock.now(), `mitm tampered a response ${from}->${to}`)
    return forged
  }

  /** At a quiescent point: maybe inject one bad frame, and check it changed nothing. */
  async maybeInject(now: number): Promise<void> {
    if (now < this.#nextAt) return
    const { rng, peers, meanGapMs } = this.#o
    this.#nextAt = now + rng.int(1, 2 * meanGapMs)
    const up = peers.filter((p) => p.isUp && p.channels.length > 0)
    const victim = up[rng.int(0, up.length - 1)]
    const node = victim?.node
    if (victim === undefined || node === undefined) return
    const plan = victim.channels[rng.int(0, victim.channels.length - 1)] as SimChannelPlan
    const forgery = FORGERIES[rng.int(0, FORGERIES.length - 1)] as Forgery
    const { from, bytes } = this.#craft(forgery, victim, node, plan)
    const before = nodeFingerprint(node)
    const counted = rejectionsCounted(node)
    node.receive(from, bytes)
    await settle()
    this.injected[forgery] += 1
    const after = nodeFingerprint(node)
    const where = { peer: victim.id, channel: plan.channel, forgery }
    if (after !== before) {
      throw new InvariantViolation('inbound', now, `${forgery} from ${from} changed ${victim.id}`, {
        ...where,
        before,
        after,
      })
    }
    if (rejectionsCounted(node) <= counted) {
      throw new InvariantViolation('inbound', now, `${forgery} from ${from} was not counted`, where)
    }
  }

  #craft(
    forgery: Forgery,
    victim: SimPeer,
    node: PeerNode,
    plan: SimChannelPlan,
  ): { from: PeerId; bytes: Uint8Array } {
    const { rng, hasher, peers } = this.#o
    const channel = plan.channel
    const state = node.store.state(channel)
    const outsiders = [
      MALLORY,
      ...peers.map((p) => p.id).filter((id) => !plan.replicaSet.includes(id)),
    ]
    const outsider = outsiders[rng.int(0, outsiders.length - 1)] as PeerId
    const members = plan.replicaSet.filter((id) => id !== victim.id)
    const leader = node.runtime(channel)?.believedLeader ?? members[rng.int(0, members.length - 1)]
    const token = this.#tokens.get(`${victim.id}|${channel}`)
    const requestId = token?.requestId ?? rng.nextU64()
    const tail = { nextSeq: state.nextSeq, lastHash: state.lastHash }
    // An unanchored log (after a skip-ahead) accepts any predecessor by design,
    // so a forged chain start is only a forgery against an anchored one.
    const response = (author: PeerId, kind: 'hash' | 'chain') =>
      forgedResponse(rng, {
        hasher,
        channel,
        tail,
        author,
        requestId,
        forgery: state.anchored ? kind : 'hash',
        count: rng.int(1, 4),
      })
    switch (forgery) {
      case 'outsider-heartbeat':
        return {
          from: outsider,
          bytes: encodeFrame({
            kind: 'heartbeat',
            message: {
              channelId: channel,
              tailSeq: (state.nextSeq + 1000) as typeof state.nextSeq,
              role: 'leader',
              wallClockMs: 0,
            },
          }),
        }
      case 'outsider-request':
        return {
          from: outsider,
          bytes: encodeFrame({
            kind: 'sync-request',
            message: {
              channelId: channel,
              sinceSeq: state.firstSeq,
              chunkMax: 0,
              requestId,
              bandwidthClass: 'foreground',
            },
          }),
        }
      case 'outsider-response':
        return { from: outsider, bytes: response(outsider, 'hash') }
      case 'forged-hash':
        return {
          from: token?.leader ?? leader ?? outsider,
          bytes: response(leader ?? outsider, 'hash'),
        }
      case 'forged-chain': {
        // From the followed leader, answering a live request, a chain that does
        // not attach IS the divergence signal (the replica rightly cuts its own
        // tail, see chain-check): the transport authenticates senders and only
        // the leader saw the token. So this forgery comes from another member
        // with the live token, or from the leader with a stale one.
        const stale = rng.nextFloat() < 0.5 || members.length < 2
        const other = members.filter((id) => id !== leader)
        const sender = stale
          ? (leader ?? outsider)
          : (other[rng.int(0, other.length - 1)] ?? outsider)
        const chain = forgedResponse(rng, {
          hasher,
          channel,
          tail,
          author: sender,
          requestId: stale ? rng.nextU64() : requestId,
          forgery: state.anchored ? 'chain' : 'hash',
          count: rng.int(1, 4),
        })
        return { from: sender, bytes: chain }
      }
      case 'stale-nack':
        return {
          from: leader ?? outsider,
          bytes: encodeFrame({
            kind: 'sync-nack',
            message: {
              channelId: channel,
              sinceSeq: state.nextSeq,
              reason: 'bad-range',
              leaderFirstRetainedSeq: (state.nextSeq + 50) as typeof state.nextSeq,
              requestId: rng.nextU64(),
              detail: 'forged',
            },
          }),
        }
      case 'random-bytes':
        return { from: leader ?? outsider, bytes: this.#undecodable(() => randomBytes(rng, 64)) }
      case 'mutated-frame': {
        const source = this.#recent[rng.int(0, this.#recent.length - 1)] ?? randomBytes(rng, 32)
        return {
          from: leader ?? outsider,
          bytes: this.#undecodable(() => mutateFrame(rng, source)),
        }
      }
      case 'unknown-channel':
        return {
          from: leader ?? outsider,
          bytes: encodeFrame({
            kind: 'heartbeat',
            message: {
              channelId: channelId('not-open-here'),
              tailSeq: state.nextSeq,
              role: 'leader',
              wallClockMs: 0,
            },
          }),
        }
    }
  }

  /**
   * A frame that does not decode. A mutation can yield a valid frame from a
   * member, which may rightly change state: those are the fuzz test's
   * business (it classifies them); here only rejects are injected.
   */
  #undecodable(make: () => Uint8Array): Uint8Array {
    for (let i = 0; i < 20; i++) {
      const bytes = make()
      if (tryDecode(bytes) === undefined) return bytes
    }
    return new Uint8Array(0)
  }
}
