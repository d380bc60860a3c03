/**
 * Signed entries off the runtime's loop: a runtime applies a SyncResponse
 * in one step of its loop, and verifying a chunk's signatures there (~0.15
 * ms per entry, a few hundred ms per chunk) holds back the heartbeats
 * queued behind it. So a PeerNode checks the signatures of a response from
 * a channel's followed leader before routing it, while the runtime goes
 * on; entries that hold are marked verified (by identity, in a WeakSet the
 * runtime's policy shares) and apply checks only the rest. Nothing is
 * trusted more: a response that fails here is routed all the same, and the
 * runtime finds the forgery again, counts it and drops the chunk.
 *
 * Only a member's answer, from the leader the runtime follows, is checked
 * ahead, and at most `MAX_IN_FLIGHT` at once: anyone else's frame goes
 * straight to the runtime, which drops it before any signature is checked.
 */
import {
  type EntrySignaturePolicy,
  findForgery,
  type SignedFields,
} from '../crypto/entry-signing.js'
import type { Entry } from '../log/entry.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId } from '../log/ids.js'

export const PREVERIFY_MAX_IN_FLIGHT = 4

export class ResponsePreverifier {
  /** The policy runtimes use: the node's, sharing the set of pre-verified entries. */
  readonly policy: EntrySignaturePolicy
  readonly #verified = new WeakSet<SignedFields>()
  readonly #hasher: EntryHasher
  #inFlight = 0
  /** Responses verified ahead of their runtime (for status and tests). */
  preverified = 0

  constructor(policy: EntrySignaturePolicy, hasher: EntryHasher) {
    this.policy = { ...policy, verified: this.#verified }
    this.#hasher = hasher
  }

  /**
   * Verifies `entries`, then calls `route`; false (and nothing done) when
   * too many are in flight, and the caller routes at once.
   */
  verifyThen(channel: ChannelId, entries: readonly Entry[], route: () => void): boolean {
    if (this.#inFlight >= PREVERIFY_MAX_IN_FLIGHT) return false
    this.#inFlight += 1
    const { verifier, required } = this.policy
    findForgery({ verifier, required }, this.#hasher, channel, entries)
      .then(
        (forgery) => {
          if (forgery !== undefined) return
          for (const entry of entries) this.#verified.add(entry)
          this.preverified += 1
        },
        () => undefined,
      )
      .finally(() => {
        this.#inFlight -= 1
        route()
      })
    return true
  }
}
