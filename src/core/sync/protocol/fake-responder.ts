/**
 * A responder for tests that serves any log it is given, honest proofs
 * included, and can lie on the way out: `lie` rewrites each head or chunk
 * before it is encoded. It speaks the real wire codec over a SimNetwork, so
 * the honest peer sees exactly what a hostile peer could send.
 */
import type { Entry } from '../../log/entry.js'
import type { EntryHasher } from '../../log/entry-hasher.js'
import type { PeerId } from '../../log/ids.js'
import type { SimNetwork } from '../../sim/sim-network.js'
import { decodeFrame, encodeFrame, type WireFrame } from '../../wire/frame-codec.js'
import type { SyncWireFrame } from '../../wire/sync-frame-codec.js'
import { MerkleLog } from '../merkle-log.js'
import { buildHeadReply } from './head-exchange.js'
import type { SyncChunk, SyncHead } from './sync-messages.js'

export interface Lie {
  readonly head?: (head: SyncHead) => SyncHead
  /** What to send instead of the honest chunk (another frame kind allowed). */
  readonly chunk?: (chunk: SyncChunk) => SyncWireFrame
  /** Serve at most this many entries, ignoring the fetch's cap (default: honour it). */
  readonly ignoreCaps?: number
}

export class FakeResponder {
  readonly received: WireFrame[] = []
  readonly #self: PeerId
  readonly #net: SimNetwork
  readonly #log: readonly Entry[]
  readonly #tree: MerkleLog
  lie: Lie

  constructor(
    self: PeerId,
    net: SimNetwork,
    hasher: EntryHasher,
    log: readonly Entry[],
    lie: Lie = {},
  ) {
    this.#self = self
    this.#net = net
    this.#log = log
    this.#tree = new MerkleLog(
      hasher,
      log.map((e) => e.hash),
    )
    this.lie = lie
    net.attach(self, (from, bytes) => this.#receive(from, decodeFrame(bytes)))
  }

  #send(to: PeerId, frame: WireFrame): void {
    this.#net.send(this.#self, to, encodeFrame(frame))
  }

  #receive(from: PeerId, frame: WireFrame): void {
    this.received.push(frame)
    if (frame.kind === 'sync-open') {
      const { channelId, sessionId } = frame.message
      const honest: SyncHead = {
        channelId,
        sessionId,
        ...buildHeadReply(this.#tree, frame.message.head.size),
      }
      this.#send(from, { kind: 'sync-head', message: this.lie.head?.(honest) ?? honest })
    } else if (frame.kind === 'sync-fetch') {
      const m = frame.message
      const treeSize = Math.min(m.treeSize, this.#log.length)
      const count = Math.min(this.lie.ignoreCaps ?? m.maxEntries, treeSize - m.fromSeq)
      const entries = this.#log.slice(m.fromSeq, m.fromSeq + count)
      const honest: SyncChunk = {
        channelId: m.channelId,
        sessionId: m.sessionId,
        requestSeq: m.requestSeq,
        firstSeq: m.fromSeq,
        treeSize: m.treeSize,
        proof: this.#tree.rangeProof(m.fromSeq, m.fromSeq + entries.length, treeSize).path,
        entries,
      }
      this.#send(from, this.lie.chunk?.(honest) ?? { kind: 'sync-chunk', message: honest })
    }
  }
}
