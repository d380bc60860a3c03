/**
 * The initiator's side of a sync session: send our head, judge the
 * responder's answer (see head-exchange), and when its log extends ours,
 * fetch the missing range in chunks within the fetch budget. Each chunk is
 * checked against the fetch (channel, range, tree, caps) and verified
 * (range proof against the responder's claimed root, entry hashes, chaining
 * onto our log, and with signed entries each author's signature) before
 * anything is appended; one bad chunk ends the session
 * with ChunkRejectedError and nothing of it is kept. Chunks verified before
 * it stay: each was proven on its own.
 */
import { checkSignatures } from '../../crypto/entry-signing.js'
import type { Entry } from '../../log/entry.js'
import type { ChannelId, Seq } from '../../log/ids.js'
import {
  ChainBrokenError,
  ForgedEntryError,
  SeqConflictError,
  SeqGapError,
} from '../../log/log-errors.js'
import type { SyncWireFrame } from '../../wire/sync-frame-codec.js'
import type { TreeHead } from '../merkle-hash.js'
import type { SessionOutcome, SessionVerdict } from '../session-job.js'
import { judgeHeadReply } from './head-exchange.js'
import {
  ChunkRejectedError,
  LocalTreeUnavailableError,
  ProofRejectedError,
  SyncRefusedError,
  SyncRequestTimeoutError,
} from './protocol-errors.js'
import type { SessionContext, SessionLink } from './session-context.js'
import type { SyncChunk, SyncHead } from './sync-messages.js'

/**
 * Sends the request `build()` makes and waits for the frame `match` accepts,
 * asking again after each `requestTimeoutMs` up to `requestAttempts` times.
 * A close from the peer ends the wait; anything else is a stale duplicate.
 */
async function request<T>(
  ctx: SessionContext,
  link: SessionLink,
  what: string,
  build: () => SyncWireFrame,
  match: (frame: SyncWireFrame) => T | undefined,
): Promise<T> {
  const { limits, clock, metrics } = ctx
  for (let attempt = 1; ; attempt++) {
    ctx.send(link.peer, build())
    const deadline = clock.now() + limits.requestTimeoutMs
    for (;;) {
      const frame = await link.inbox.next(deadline - clock.now(), link.signal)
      if (frame === undefined) break
      if (frame.kind === 'sync-close') {
        throw new SyncRefusedError(
          `${link.peer} closed the session: ${frame.message.reason}`,
          link.peer,
          {
            details: { reason: frame.message.reason, detail: frame.message.detail },
          },
        )
      }
      const matched = match(frame)
      if (matched !== undefined) return matched
      metrics.drops.record('stale-frame')
    }
    if (attempt >= limits.requestAttempts) {
      throw new SyncRequestTimeoutError(`no ${what} from ${link.peer}`, link.peer, {
        details: { attempts: attempt, timeoutMs: limits.requestTimeoutMs },
      })
    }
    metrics.requestRetries++
  }
}

function payloadBytes(entries: readonly Entry[]): number {
  let total = 0
  for (const entry of entries) total += entry.payload.byteLength
  return total
}

/** Why a chunk does not answer the fetch that asked for it, if it does not. */
function chunkProblem(
  chunk: SyncChunk,
  channel: ChannelId,
  fromSeq: number,
  remote: TreeHead,
  ctx: SessionContext,
): string | undefined {
  if (chunk.channelId !== channel) return 'wrong-channel'
  if (chunk.firstSeq !== fromSeq) return 'wrong-range'
  if (chunk.treeSize !== remote.size) return 'wrong-tree'
  const { maxChunkEntries, maxChunkBytes } = ctx.limits
  if (chunk.entries.length > maxChunkEntries) return 'over-limit'
  if (chunk.entries.length > 1 && payloadBytes(chunk.entries) > maxChunkBytes) return 'over-limit'
  return undefined
}

function closeQuietly(ctx: SessionContext, channel: ChannelId, link: SessionLink): void {
  try {
    ctx.send(link.peer, {
      kind: 'sync-close',
      message: { channelId: channel, sessionId: link.sessionId, reason: 'done', detail: '' },
    })
  } catch {
    // The responder ends the session on its idle timeout anyway.
  }
}

export async function runInitiator(
  ctx: SessionContext,
  channel: ChannelId,
  link: SessionLink,
): Promise<SessionOutcome> {
  const { peer, sessionId } = link
  const opening = await ctx.index.tree(channel)
  if (opening === undefined) {
    throw new LocalTreeUnavailableError(
      'no Merkle tree for this channel: our log does not start at seq 0',
      {
        details: { channel },
      },
    )
  }
  const local = opening.head()
  const reply = await request<SyncHead>(
    ctx,
    link,
    'head',
    () => ({ kind: 'sync-open', message: { channelId: channel, sessionId, head: local } }),
    (frame) => (frame.kind === 'sync-head' ? frame.message : undefined),
  )
  const tree = await ctx.index.tree(channel)
  if (tree === undefined || tree.size < local.size) {
    throw new LocalTreeUnavailableError('our log was cut back during the session', {
      details: { channel, openedAt: local.size, now: tree?.size },
    })
  }
  const judgement =
    reply.channelId === channel
      ? judgeHeadReply(ctx.index.hasher, local.size, (size) => tree.root(size), reply)
      : ({ verdict: 'proof-rejected', detail: 'head for another channel' } as const)
  const remote = reply.head
  const outcome = (verdict: SessionVerdict, entriesReceived = 0): SessionOutcome => {
    closeQuietly(ctx, channel, link)
    ctx.metrics.verdicts[verdict]++
    return { peer, entriesReceived, entriesSent: 0, verdict, remoteHead: remote }
  }
  switch (judgement.verdict) {
    case 'proof-rejected':
      ctx.metrics.proofsRejected++
      throw new ProofRejectedError(
        `${peer} sent a head its own proof contradicts: ${judgement.detail}`,
        peer,
        {
          details: { channel, reason: judgement.detail, remoteSize: remote.size },
        },
      )
    case 'diverged':
      ctx.events.emit('divergence-detected', { channel, peer, local, remote })
      return outcome('diverged')
    case 'in-sync':
    case 'remote-behind':
      return outcome(judgement.verdict)
    case 'remote-ahead': {
      const fetched = await fetchRange(ctx, channel, link, remote)
      if (fetched.diverged) {
        const now = (await ctx.index.head(channel)) ?? local
        ctx.events.emit('divergence-detected', { channel, peer, local: now, remote })
        return outcome('diverged', fetched.received)
      }
      return outcome(fetched.received > 0 ? 'caught-up' : 'in-sync', fetched.received)
    }
  }
}

async function fetchRange(
  ctx: SessionContext,
  channel: ChannelId,
  link: SessionLink,
  remote: TreeHead,
): Promise<{ readonly received: number; readonly diverged: boolean }> {
  const { store, limits, metrics, budget } = ctx
  let received = 0
  let requestSeq = 0
  for (;;) {
    const fromSeq = store.state(channel).nextSeq
    if (fromSeq >= remote.size) break
    await budget.take(limits.maxChunkBytes, link.signal)
    requestSeq++
    const asked = requestSeq
    let chunk: SyncChunk
    try {
      chunk = await request<SyncChunk>(
        ctx,
        link,
        'chunk',
        () => ({
          kind: 'sync-fetch',
          message: {
            channelId: channel,
            sessionId: link.sessionId,
            requestSeq: asked,
            fromSeq,
            treeSize: remote.size,
            maxEntries: limits.maxChunkEntries,
            maxBytes: limits.maxChunkBytes,
          },
        }),
        (frame) =>
          frame.kind === 'sync-chunk' && frame.message.requestSeq === asked
            ? frame.message
            : undefined,
      )
    } catch (error) {
      budget.refund(limits.maxChunkBytes)
      throw error
    }
    budget.refund(limits.maxChunkBytes - payloadBytes(chunk.entries))
    metrics.chunksReceived++
    const problem = chunkProblem(chunk, channel, fromSeq, remote, ctx)
    if (problem !== undefined) throw rejectChunk(ctx, channel, link, problem, fromSeq)
    const verification = await ctx.verifier.verifyIncomingEntries(channel, chunk.entries, remote, {
      start: chunk.firstSeq,
      end: chunk.firstSeq + chunk.entries.length,
      treeSize: chunk.treeSize,
      path: chunk.proof,
    })
    const rejected = verification.rejected[0]
    if (rejected !== undefined) {
      if (rejected.reason === 'conflicts-local') return { received, diverged: true }
      if (rejected.reason === 'local-tree-unavailable') {
        throw new LocalTreeUnavailableError('our Merkle tree went away during the session', {
          details: { channel },
        })
      }
      throw rejectChunk(ctx, channel, link, rejected.reason, rejected.entry.seq)
    }
    await checkAuthors(ctx, channel, link, verification.verified)
    received += await appendFresh(ctx, channel, link, verification.verified)
  }
  return { received, diverged: false }
}

function rejectChunk(
  ctx: SessionContext,
  channel: ChannelId,
  link: SessionLink,
  reason: string,
  seq: number,
  cause?: unknown,
): ChunkRejectedError {
  ctx.metrics.chunksRejected++
  return new ChunkRejectedError(
    `${link.peer} sent a chunk that fails verification: ${reason}`,
    link.peer,
    {
      details: { channel, reason, seq },
      ...(cause === undefined ? {} : { cause }),
    },
  )
}

/** Signed entries: a chunk with an entry its author did not sign ends the session, unapplied. */
async function checkAuthors(
  ctx: SessionContext,
  channel: ChannelId,
  link: SessionLink,
  entries: readonly Entry[],
): Promise<void> {
  if (ctx.signatures === undefined) return
  try {
    await checkSignatures(ctx.signatures, ctx.index.hasher, channel, entries)
  } catch (error) {
    if (!(error instanceof ForgedEntryError)) throw error
    ctx.metrics.forgedEntries++
    const { reason, seq } = error.details as { reason: string; seq: number }
    throw rejectChunk(ctx, channel, link, `forged-entry (${reason})`, seq, error)
  }
}

/** Appends the verified entries we do not hold yet; 0 when the log moved under us (retried by the loop). */
async function appendFresh(
  ctx: SessionContext,
  channel: ChannelId,
  link: SessionLink,
  verified: readonly Entry[],
): Promise<number> {
  const nextSeq = ctx.store.state(channel).nextSeq
  const fresh = verified.filter((entry) => entry.seq >= nextSeq)
  if (fresh.length === 0 || fresh[0]?.seq !== nextSeq) {
    if (fresh.length > 0) ctx.metrics.appendRaces++
    return 0
  }
  try {
    await ctx.store.append(channel, fresh)
  } catch (error) {
    if (
      error instanceof SeqConflictError ||
      error instanceof SeqGapError ||
      error instanceof ChainBrokenError
    ) {
      ctx.metrics.appendRaces++
      return 0
    }
    throw error
  }
  // The tree takes the verified hashes directly instead of reading them back.
  await ctx.index.extend(channel, fresh)
  ctx.metrics.entriesAppended += fresh.length
  ctx.events.emit('catch-up-progress', {
    channel,
    peer: link.peer,
    fromSeq: nextSeq,
    toSeq: (nextSeq + fresh.length) as Seq,
  })
  return fresh.length
}
