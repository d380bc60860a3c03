/**
 * Duplicated and reordered Propose frames, on purpose. The network's link
 * faults duplicate and reorder frames at random, but rarely a Propose in a
 * given run; this replayer keeps genuine Propose frames seen on the wire
 * (a bounded sample) and, at random quiescent points, delivers an old one
 * again from its real sender to its real target, long after it was sent:
 * by then the writes it carries are committed, superseded by later ones of
 * the same author, or re-proposed after divergence repair. The leader's
 * dedupe must commit nothing twice and nothing out of order; the log and
 * acknowledged-write checkers verify it.
 */
import type { PeerId } from '../log/ids.js'
import type { Rng } from '../random/rng.js'
import type { Clock } from '../time/clock.js'
import { FRAME_KIND_CODES } from '../wire/frame-codec.js'
import type { SimNetwork } from './sim-network.js'
import type { SimTrace } from './sim-trace.js'

const KEPT_FRAMES = 16

interface Captured {
  readonly from: PeerId
  readonly to: PeerId
  readonly bytes: Uint8Array
}

export class ProposeReplayer {
  replays = 0
  readonly #clock: Clock
  readonly #rng: Rng
  readonly #net: SimNetwork
  readonly #trace: SimTrace
  readonly #meanGapMs: number
  readonly #kept: Captured[] = []
  #nextAt: number
  /** Replays happen during the fault phase only. */
  active = true

  constructor(options: {
    clock: Clock
    rng: Rng
    net: SimNetwork
    trace: SimTrace
    meanGapMs: number
  }) {
    this.#clock = options.clock
    this.#rng = options.rng
    this.#net = options.net
    this.#trace = options.trace
    this.#meanGapMs = options.meanGapMs
    this.#nextAt = options.rng.int(1, 2 * options.meanGapMs)
  }

  /** SimPeer hook: every frame a peer sends. */
  observeSent(from: PeerId, to: PeerId, bytes: Uint8Array): void {
    if (bytes[1] !== FRAME_KIND_CODES.propose) return
    const captured = { from, to, bytes: bytes.slice() }
    if (this.#kept.length < KEPT_FRAMES) this.#kept.push(captured)
    else this.#kept[this.#rng.int(0, KEPT_FRAMES - 1)] = captured
  }

  /** At a quiescent point: maybe send one old Propose again, one or two times. */
  maybeReplay(now: number): void {
    if (!this.active || now < this.#nextAt) return
    this.#nextAt = now + this.#rng.int(1, 2 * this.#meanGapMs)
    const frame = this.#kept[this.#rng.int(0, this.#kept.length - 1)]
    if (frame === undefined) return
    const copies = this.#rng.int(1, 2)
    for (let i = 0; i < copies; i++) this.#net.send(frame.from, frame.to, frame.bytes)
    this.replays += copies
    this.#trace.note(this.#clock.now(), `replay propose ${frame.from}->${frame.to} x${copies}`)
  }
}
