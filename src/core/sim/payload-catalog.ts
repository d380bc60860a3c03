/**
 * Every payload the simulated clients ever submitted, by id. A payload is
 * `u32 id | filler`, minted once per append attempt (a retry elsewhere
 * mints a new one), so it names exactly one submission: one channel, one
 * peer asked to append it. The log checker looks every stored entry up
 * here: an entry whose payload is unknown, altered, stored in another
 * channel or sealed by a peer other than the one asked was forged or
 * misrouted; one whose id appears twice in a log is a duplicate.
 */
import { equals } from 'uint8arrays/equals'
import type { ChannelId, PeerId } from '../log/ids.js'
import type { Rng } from '../random/rng.js'

export interface Submission {
  readonly id: number
  readonly channel: ChannelId
  /** The peer asked to append it (the author of its entry, if it lands). */
  readonly peer: PeerId
  readonly payload: Uint8Array
}

export const PAYLOAD_FILLER_MAX = 48

/** The submission id a payload carries, or undefined if it is too short to carry one. */
export function payloadId(payload: Uint8Array): number | undefined {
  if (payload.byteLength < 4) return undefined
  const byte = (i: number) => payload[i] as number
  return ((byte(0) << 24) | (byte(1) << 16) | (byte(2) << 8) | byte(3)) >>> 0
}

export class PayloadCatalog {
  readonly #submissions = new Map<number, Submission>()
  readonly #rng: Rng
  #nextId = 1

  constructor(rng: Rng) {
    this.#rng = rng
  }

  get size(): number {
    return this.#submissions.size
  }

  mint(channel: ChannelId, peer: PeerId): Submission {
    const id = this.#nextId++
    const payload = new Uint8Array(4 + this.#rng.int(0, PAYLOAD_FILLER_MAX))
    new DataView(payload.buffer).setUint32(0, id)
    for (let i = 4; i < payload.byteLength; i++) payload[i] = this.#rng.int(0, 255)
    const submission = { id, channel, peer, payload }
    this.#submissions.set(id, submission)
    return submission
  }

  get(id: number): Submission | undefined {
    return this.#submissions.get(id)
  }

  /** Why an entry with this payload cannot be genuine; undefined when it can. */
  problem(channel: ChannelId, author: PeerId, payload: Uint8Array): string | undefined {
    const id = payloadId(payload)
    const submission = id === undefined ? undefined : this.#submissions.get(id)
    if (submission === undefined) return `payload ${id ?? '(short)'} was never submitted`
    if (submission.channel !== channel) return `payload ${id} belongs to ${submission.channel}`
    if (submission.peer !== author) {
      return `payload ${id} was submitted to ${submission.peer}, sealed by ${author}`
    }
    if (!equals(submission.payload, payload)) return `payload ${id} was altered`
    return undefined
  }
}
