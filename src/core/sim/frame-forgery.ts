/**
 * Frames an attacker or a damaged link produces, for the simulation's
 * adversary and the inbound fuzz test: random bytes, mutations of real
 * frames (bit flips, overwritten bytes, truncation, junk appended, a slice
 * repeated), and SyncResponses whose entries are forged: sealed onto the
 * victim's real tail and then altered, so only the hash check stands
 * between them and the victim's log. (A well-formed entry with a correct
 * hash from a member cannot be told from a genuine one without signatures;
 * that is not a forgery this layer can catch.)
 */
import type { Entry } from '../log/entry.js'
import { sealEntries } from '../log/entry-chain.js'
import type { EntryHasher } from '../log/entry-hasher.js'
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import type { Rng } from '../random/rng.js'
import { decodeFrame, encodeFrame, type WireFrame } from '../wire/frame-codec.js'

export function randomBytes(rng: Rng, maxLength: number): Uint8Array {
  const bytes = new Uint8Array(rng.int(0, maxLength))
  for (let i = 0; i < bytes.byteLength; i++) bytes[i] = rng.int(0, 255)
  return bytes
}

export const MUTATIONS = ['flip', 'overwrite', 'truncate', 'extend', 'repeat', 'kind'] as const
export type Mutation = (typeof MUTATIONS)[number]

/** A damaged copy of `frame` (never `frame` itself). */
export function mutateFrame(rng: Rng, frame: Uint8Array, mutation?: Mutation): Uint8Array {
  const kind = mutation ?? (MUTATIONS[rng.int(0, MUTATIONS.length - 1)] as Mutation)
  const out = frame.slice()
  const at = () => rng.int(0, Math.max(0, out.byteLength - 1))
  switch (kind) {
    case 'flip': {
      for (let n = rng.int(1, 4); n > 0 && out.byteLength > 0; n--) {
        const i = at()
        out[i] = (out[i] as number) ^ (1 << rng.int(0, 7))
      }
      return out
    }
    case 'overwrite': {
      if (out.byteLength > 0) out[at()] = rng.int(0, 255)
      return out
    }
    case 'truncate':
      return out.slice(0, rng.int(0, Math.max(0, out.byteLength - 1)))
    case 'extend': {
      const junk = randomBytes(rng, 16)
      const longer = new Uint8Array(out.byteLength + junk.byteLength + 1)
      longer.set(out)
      longer.set(junk, out.byteLength + 1)
      return longer
    }
    case 'repeat': {
      const start = at()
      const piece = out.slice(start, start + rng.int(1, 16))
      const longer = new Uint8Array(out.byteLength + piece.byteLength)
      longer.set(out.subarray(0, start))
      longer.set(piece, start)
      longer.set(out.subarray(start), start + piece.byteLength)
      return longer
    }
    case 'kind': {
      if (out.byteLength > 1) out[1] = rng.int(0, 8)
      return out
    }
  }
}

/** True when `bytes` decodes; the fuzzers classify their frames with it. */
export function tryDecode(bytes: Uint8Array): WireFrame | undefined {
  try {
    return decodeFrame(bytes)
  } catch {
    return undefined
  }
}

export type EntryForgery = 'hash' | 'chain'

export interface ForgedResponseOptions {
  readonly hasher: EntryHasher
  readonly channel: ChannelId
  /** The victim's tail: forged entries are sealed onto it, so only the forgery is wrong. */
  readonly tail: { readonly nextSeq: Seq; readonly lastHash: Uint8Array }
  readonly author: PeerId
  readonly requestId: bigint
  readonly forgery: EntryForgery
  readonly count: number
}

/**
 * A SyncResponse whose entries would apply cleanly but for one forgery:
 * `hash`, a payload byte altered after sealing (its hash no longer
 * matches); `chain`, sealed onto a prevHash that is not the victim's tail.
 */
export function forgedResponse(rng: Rng, options: ForgedResponseOptions): Uint8Array {
  const { hasher, channel, tail, author, forgery, count } = options
  const drafts = Array.from({ length: Math.max(1, count) }, (_, i) => ({
    author,
    authorSeq: tail.nextSeq + i,
    payload: Uint8Array.of(0xfa, 0x6e, rng.int(0, 255), rng.int(0, 255)),
  }))
  const lastHash = forgery === 'chain' ? randomHash(rng) : tail.lastHash
  const entries: Entry[] = sealEntries(hasher, channel, { nextSeq: tail.nextSeq, lastHash }, drafts)
  if (forgery === 'hash') {
    const victim = entries[rng.int(0, entries.length - 1)] as Entry
    entries[entries.indexOf(victim)] = { ...victim, payload: flipBit(rng, victim.payload) }
  }
  return encodeFrame({
    kind: 'sync-response',
    message: {
      channelId: channel,
      firstSeq: tail.nextSeq,
      leaderFirstRetainedSeq: 0 as Seq,
      entries,
      requestId: options.requestId,
    },
  })
}

/**
 * A man in the middle's copy of a SyncResponse with one entry's payload
 * altered (hash kept); undefined when `bytes` carries no entry to alter.
 */
export function tamperedResponse(rng: Rng, bytes: Uint8Array): Uint8Array | undefined {
  // Decoded payloads are views into the buffer: work on a copy.
  const frame = tryDecode(bytes.slice())
  if (frame?.kind !== 'sync-response' || frame.message.entries.length === 0) return undefined
  const entries = [...frame.message.entries]
  const index = rng.int(0, entries.length - 1)
  const victim = entries[index] as Entry
  if (victim.payload.byteLength === 0) return undefined
  entries[index] = { ...victim, payload: flipBit(rng, victim.payload) }
  return encodeFrame({ kind: 'sync-response', message: { ...frame.message, entries } })
}

/** A copy of `bytes` (non-empty) with one random bit flipped. */
function flipBit(rng: Rng, bytes: Uint8Array): Uint8Array {
  const out = bytes.slice()
  const i = rng.int(0, out.byteLength - 1)
  out[i] = (out[i] as number) ^ (1 << rng.int(0, 7))
  return out
}

function randomHash(rng: Rng): Uint8Array {
  const hash = new Uint8Array(32)
  for (let i = 0; i < hash.byteLength; i++) hash[i] = rng.int(0, 255)
  return hash
}
