/**
 * Beyond the seed: where a leader's last answer to each replica ended, so
 * a chained read-ahead request (`afterRequestId`) starts exactly there. A
 * replica catching up keeps a few requests in flight, and it cannot know
 * where the chunk it has not received yet will end; the leader, which
 * answers a replica's requests in the order they were sent, does.
 *
 * A chained request whose predecessor was not the last one answered (it
 * was refused, parked, lost, or the leader changed) is served from its
 * own `sinceSeq`, the replica's estimate; the replica takes an answer only
 * if it starts at its tail, so a wrong estimate costs a chunk, never a gap.
 */
import type { PeerId, Seq } from '../log/ids.js'
import type { SyncRequest } from './messages.js'

interface Answer {
  readonly requestId: bigint
  readonly endSeq: Seq
}

export class ServedChunks {
  readonly #last = new Map<PeerId, Answer>()

  /** Where the answer to `request` from `peer` starts. */
  startOf(peer: PeerId, request: SyncRequest): Seq {
    const last = this.#last.get(peer)
    if (request.afterRequestId === undefined || last?.requestId !== request.afterRequestId)
      return request.sinceSeq
    return last.endSeq
  }

  /** Where the last answer to `peer` ended, if it had one since the last role change. */
  endOf(peer: PeerId): Seq | undefined {
    return this.#last.get(peer)?.endSeq
  }

  /** `peer`'s request `requestId` was answered with entries up to `endSeq` (exclusive). */
  answered(peer: PeerId, requestId: bigint, endSeq: Seq): void {
    this.#last.set(peer, { requestId, endSeq })
  }

  /** Forgets one replica (its link closed) or, without one, every replica (a role change). */
  forget(peer?: PeerId): void {
    if (peer === undefined) this.#last.clear()
    else this.#last.delete(peer)
  }
}
