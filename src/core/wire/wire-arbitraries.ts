/**
 * fast-check arbitraries for wire frames, shared by the codec tests: every
 * replication, sync session and epoch frame kind with valid fields.
 */
import fc from 'fast-check'
import { GROUP_PROOF_MAX_DEPTH } from '../log/entry.js'
import { type ChannelId, channelId, peerId, type Seq } from '../log/ids.js'
import { BANDWIDTH_CLASSES, NACK_REASONS, REPLICA_ROLES } from '../replication/messages.js'
import { EPOCH_ABORT_REASONS } from '../sync/epoch/epoch-messages.js'
import { SYNC_CLOSE_REASONS } from '../sync/protocol/sync-messages.js'
import type { WireFrame } from './frame-codec.js'

export const seq = fc.maxSafeNat().map((n) => n as Seq)
export const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })
export const channel = fc
  .string({ minLength: 1, maxLength: 200, unit: 'grapheme' })
  .filter((s) => {
    try {
      channelId(s)
      return true
    } catch {
      return false
    }
  })
  .map((s) => s as ChannelId)

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 })
const hashes = fc.array(hash, { maxLength: 20 })
const size = fc.nat({ max: 2 ** 40 })
const head = fc.record({ size, root: hash })
const peer = fc.stringMatching(/^[A-Za-z0-9]{1,60}$/).map((s) => peerId(s))
const replicaSet = fc.uniqueArray(peer, { minLength: 1, maxLength: 8 })

export const sessionFrames: fc.Arbitrary<WireFrame> = fc.oneof(
  fc.record({
    kind: fc.constant('sync-open' as const),
    message: fc.record({ channelId: channel, sessionId: u64, head }),
  }),
  fc.record({
    kind: fc.constant('sync-head' as const),
    message: fc
      .record({ channelId: channel, sessionId: u64, head, prefix: head, consistency: hashes })
      .map((m) => ({ ...m, prefix: { ...m.prefix, size: Math.min(m.prefix.size, m.head.size) } })),
  }),
  fc.record({
    kind: fc.constant('sync-fetch' as const),
    message: fc
      .record({
        channelId: channel,
        sessionId: u64,
        requestSeq: fc.nat(),
        fromSeq: size,
        span: fc.integer({ min: 1, max: 1000 }),
        maxEntries: fc.integer({ min: 1, max: 4096 }),
        maxBytes: fc.integer({ min: 1, max: 1 << 24 }),
      })
      .map(({ span, ...m }) => ({ ...m, fromSeq: m.fromSeq as Seq, treeSize: m.fromSeq + span })),
  }),
  fc.record({
    kind: fc.constant('sync-close' as const),
    message: fc.record({
      channelId: channel,
      sessionId: u64,
      reason: fc.constantFrom(...SYNC_CLOSE_REASONS),
      detail: fc.string({ maxLength: 256 }),
    }),
  }),
  fc.record({
    kind: fc.constantFrom('epoch-propose' as const, 'epoch-commit' as const),
    message: fc.record({ channelId: channel, rotationId: u64, epoch: fc.maxSafeNat(), replicaSet }),
  }),
  fc.record({
    kind: fc.constant('epoch-confirm' as const),
    message: fc.record({ channelId: channel, rotationId: u64, epoch: fc.maxSafeNat() }),
  }),
  fc.record({
    kind: fc.constant('epoch-abort' as const),
    message: fc.record({
      channelId: channel,
      rotationId: u64,
      epoch: fc.maxSafeNat(),
      reason: fc.constantFrom(...EPOCH_ABORT_REASONS),
      detail: fc.string({ maxLength: 256 }),
    }),
  }),
) as fc.Arbitrary<WireFrame>

const write = {
  author: peer,
  authorSeq: fc.maxSafeNat(),
  payload: fc.uint8Array({ maxLength: 64 }),
}
const signature = fc.uint8Array({ minLength: 64, maxLength: 64 })
const groupProof = fc
  .integer({ min: 1, max: GROUP_PROOF_MAX_DEPTH })
  .chain((depth) => fc.uint8Array({ minLength: 2 + 32 * depth, maxLength: 2 + 32 * depth }))

/** A write: unsigned, signed alone, or signed in a group (with its proof). */
const proposed = fc.oneof(
  fc.record(write),
  fc.record({ ...write, signature }),
  fc.record({ ...write, signature, groupProof }),
)

/** Propose frames: 1 to 20 writes of a few authors, no key twice. */
export const proposeFrames: fc.Arbitrary<WireFrame> = fc.record({
  kind: fc.constant('propose' as const),
  message: fc.record({
    channelId: channel,
    entries: fc.uniqueArray(proposed, {
      minLength: 1,
      maxLength: 20,
      selector: (e) => `${e.author}\n${e.authorSeq}`,
    }),
  }),
})

export const handoffFrames: fc.Arbitrary<WireFrame> = fc.record({
  kind: fc.constant('leader-handoff' as const),
  message: fc.record({ channelId: channel, successor: peer, tailSeq: seq, lastHash: hash }),
})

export const smallFrames: fc.Arbitrary<WireFrame> = fc.oneof(
  sessionFrames,
  proposeFrames,
  handoffFrames,
  fc.record({
    kind: fc.constant('heartbeat' as const),
    message: fc.record({
      channelId: channel,
      tailSeq: seq,
      role: fc.constantFrom(...REPLICA_ROLES),
      wallClockMs: fc.maxSafeNat(),
    }),
  }),
  fc.record({
    kind: fc.constant('sync-request' as const),
    message: fc.record(
      {
        channelId: channel,
        sinceSeq: seq,
        chunkMax: fc.maxSafeNat(),
        requestId: u64,
        bandwidthClass: fc.constantFrom(...BANDWIDTH_CLASSES),
        afterRequestId: u64,
      },
      { requiredKeys: ['channelId', 'sinceSeq', 'chunkMax', 'requestId', 'bandwidthClass'] },
    ),
  }),
  fc.record({
    kind: fc.constant('sync-nack' as const),
    message: fc.record({
      channelId: channel,
      sinceSeq: seq,
      reason: fc.constantFrom(...NACK_REASONS),
      leaderFirstRetainedSeq: seq,
      requestId: u64,
      detail: fc.string({ maxLength: 256 }),
    }),
  }),
)
