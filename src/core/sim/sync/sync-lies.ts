/**
 * How the lying peer of the sync scenarios lies: it runs an honest node and
 * rewrites the sync-session frames it sends on the way out — heads with a
 * root, size or proof that does not hold, chunks with altered payloads,
 * hashes, proofs or numbering. Each lie still encodes (the wire codec would
 * refuse to send an unchained run), so the victim decodes it and must catch
 * it by verification. Fabricating a whole consistent extension of the log is
 * not among them: without entry signatures (the signing work) that is
 * indistinguishable from the truth.
 */
import type { Entry } from '../../log/entry.js'
import type { PeerId, Seq } from '../../log/ids.js'
import type { Rng } from '../../random/rng.js'
import type { SyncChunk, SyncHead } from '../../sync/protocol/sync-messages.js'
import { encodeFrame, type WireFrame } from '../../wire/frame-codec.js'

export const HEAD_LIES = ['root', 'size', 'consistency'] as const
export const CHUNK_LIES = ['payload', 'last-hash', 'proof', 'renumbered'] as const
export type Lie = (typeof HEAD_LIES)[number] | (typeof CHUNK_LIES)[number]

function flipped(bytes: Uint8Array, at = 0): Uint8Array {
  const copy = bytes.slice()
  copy[at % Math.max(1, copy.length)] = (copy[at % Math.max(1, copy.length)] ?? 0) ^ 0x5a
  return copy
}

function lieAboutHead(head: SyncHead, lie: (typeof HEAD_LIES)[number]): SyncHead {
  switch (lie) {
    case 'root':
      return { ...head, head: { ...head.head, root: flipped(head.head.root) } }
    case 'size':
      return { ...head, head: { ...head.head, size: head.head.size + 7 } }
    case 'consistency':
      return head.consistency.length > 0
        ? { ...head, consistency: head.consistency.slice(0, -1) }
        : { ...head, prefix: { ...head.prefix, root: flipped(head.prefix.root) } }
  }
}

function lieAboutChunk(chunk: SyncChunk, lie: (typeof CHUNK_LIES)[number], rng: Rng): SyncChunk {
  const entries = chunk.entries
  const last = entries.length - 1
  switch (lie) {
    case 'payload': {
      const at = rng.int(0, last)
      const forged = entries.map((e, i) =>
        i === at ? { ...e, payload: Uint8Array.of(...e.payload, 0xee) } : e,
      )
      return { ...chunk, entries: forged }
    }
    case 'last-hash': {
      const forged = entries.map((e, i) => (i === last ? { ...e, hash: flipped(e.hash, 3) } : e))
      return { ...chunk, entries: forged }
    }
    case 'proof':
      return chunk.proof.length > 0
        ? { ...chunk, proof: chunk.proof.map((p, i) => (i === 0 ? flipped(p, 5) : p)) }
        : { ...chunk, proof: [new Uint8Array(32).fill(0x33)] }
    case 'renumbered': {
      // The same run, claimed one seq later: every entry now sits where it does not hash.
      const firstSeq = (chunk.firstSeq + 1) as Seq
      const moved: Entry[] = entries.map((e, i) => ({ ...e, seq: (firstSeq + i) as Seq }))
      return { ...chunk, firstSeq, entries: moved }
    }
  }
}

export interface LyingCounts {
  heads: number
  chunks: number
  byLie: Record<string, number>
}

/**
 * A frame rewrite for the liar's sink: two heads in five are lies (the
 * others are honest, so the session gets as far as fetching), and every
 * non-empty chunk is.
 */
export function lyingRewrite(
  rng: Rng,
  counts: LyingCounts,
): (to: PeerId, frame: WireFrame, bytes: Uint8Array) => Uint8Array {
  const record = (lie: string) => {
    counts.byLie[lie] = (counts.byLie[lie] ?? 0) + 1
  }
  return (_to, frame, bytes) => {
    if (frame.kind === 'sync-head' && rng.nextFloat() < 0.4) {
      const lie = HEAD_LIES[rng.int(0, HEAD_LIES.length - 1)] ?? 'root'
      counts.heads += 1
      record(lie)
      return encodeFrame({ kind: 'sync-head', message: lieAboutHead(frame.message, lie) })
    }
    if (frame.kind === 'sync-chunk' && frame.message.entries.length > 0) {
      const lie = CHUNK_LIES[rng.int(0, CHUNK_LIES.length - 1)] ?? 'payload'
      counts.chunks += 1
      record(lie)
      return encodeFrame({ kind: 'sync-chunk', message: lieAboutChunk(frame.message, lie, rng) })
    }
    return bytes
  }
}
