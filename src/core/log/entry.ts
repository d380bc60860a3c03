import type { ChannelId, PeerId, Seq } from './ids.js'

/** Every entry hash is 32 bytes (BLAKE3-256). */
export const HASH_BYTES = 32
/** An Ed25519 signature, when entries are signed. */
export const SIGNATURE_BYTES = 64

/** The `prevHash` of a channel's first entry ever written. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(HASH_BYTES)

/**
 * One committed log entry. `seq` is the entry's place in the channel's total
 * order; `(author, authorSeq)` names the write that produced it, so a write
 * forwarded twice is recognised; `hash` covers every other field and
 * `prevHash`, chaining the log.
 */
export interface Entry {
  readonly channel: ChannelId
  readonly seq: Seq
  readonly author: PeerId
  readonly authorSeq: number
  readonly payload: Uint8Array
  readonly prevHash: Uint8Array
  readonly hash: Uint8Array
  readonly signature?: Uint8Array
}

/**
 * What a writer supplies; the log assigns `seq` and the hashes. The
 * author's signature (see core/crypto/entry-signing) covers only these
 * fields, so it stays valid wherever the leader places the write.
 */
export interface EntryDraft {
  readonly author: PeerId
  readonly authorSeq: number
  readonly payload: Uint8Array
  readonly signature?: Uint8Array
}

/** The position a new entry chains onto: the next seq and the hash before it. */
export interface ChainTail {
  readonly nextSeq: Seq
  readonly lastHash: Uint8Array
}
