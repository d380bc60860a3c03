/**
 * The responder's side of a sync session: answer the initiator's head with
 * ours and a consistency proof, then serve each fetch from the store, capped
 * by our own chunk limits, with the range proof against the head we
 * announced. We refuse channels we do not hold or may not serve, and stop
 * serving (closing with a reason) when the range leaves the announced head
 * or our log changed under the session, so an honest responder is never
 * caught contradicting itself. A session that hears nothing for
 * `responderIdleMs` ends.
 */
import { equals } from 'uint8arrays/equals'
import type { Entry } from '../../log/entry.js'
import type { ChannelId, PeerId, Seq } from '../../log/ids.js'
import { RangeEvictedError } from '../../log/log-errors.js'
import { hashLeaf, type TreeHead } from '../merkle-hash.js'
import type { SessionOutcome } from '../session-job.js'
import { buildHeadReply, type HeadReply } from './head-exchange.js'
import type { SessionContext, SessionLink } from './session-context.js'
import type { SyncChunk, SyncCloseReason, SyncFetch, SyncOpen } from './sync-messages.js'

export interface ResponderPolicy {
  /** Whether we hold `channel` (a log we would serve). */
  readonly holds: (channel: ChannelId) => boolean
  /** Whether `peer` may read `channel` from us. */
  readonly mayServe: (peer: PeerId, channel: ChannelId) => boolean
}

type Served =
  | { readonly chunk: SyncChunk }
  | { readonly close: SyncCloseReason; readonly detail: string }

function close(
  ctx: SessionContext,
  link: SessionLink,
  channel: ChannelId,
  reason: SyncCloseReason,
  detail = '',
): void {
  try {
    ctx.send(link.peer, {
      kind: 'sync-close',
      message: { channelId: channel, sessionId: link.sessionId, reason, detail },
    })
  } catch {
    // The initiator's request timeout ends its side.
  }
}

export async function runResponder(
  ctx: SessionContext,
  policy: ResponderPolicy,
  open: SyncOpen,
  link: SessionLink,
): Promise<SessionOutcome> {
  const channel = open.channelId
  const served = (entriesSent: number): SessionOutcome => {
    ctx.metrics.verdicts.served++
    return { peer: link.peer, entriesReceived: 0, entriesSent, verdict: 'served' }
  }
  if (!policy.holds(channel)) {
    close(ctx, link, channel, 'unknown-channel')
    return served(0)
  }
  if (!policy.mayServe(link.peer, channel)) {
    close(ctx, link, channel, 'not-authorized')
    return served(0)
  }
  const tree = await ctx.index.tree(channel)
  if (tree === undefined) {
    close(ctx, link, channel, 'unavailable', 'our log does not start at seq 0')
    return served(0)
  }
  const reply = buildHeadReply(tree, open.head.size)
  const sendHead = (answer: HeadReply) =>
    ctx.send(link.peer, {
      kind: 'sync-head',
      message: { channelId: channel, sessionId: link.sessionId, ...answer },
    })
  sendHead(reply)
  let lastRequest = 0
  let sent = 0
  for (;;) {
    const frame = await link.inbox.next(ctx.limits.responderIdleMs, link.signal)
    if (frame === undefined) {
      close(ctx, link, channel, 'idle-timeout')
      return served(sent)
    }
    if (frame.kind === 'sync-close') return served(sent)
    if (frame.kind === 'sync-open') {
      // The initiator asked again: our head was lost on the way.
      sendHead(reply)
      continue
    }
    if (frame.kind !== 'sync-fetch' || frame.message.requestSeq < lastRequest) {
      ctx.metrics.drops.record('stale-frame')
      continue
    }
    const answer = await serveFetch(ctx, channel, reply.head, frame.message)
    if ('close' in answer) {
      close(ctx, link, channel, answer.close, answer.detail)
      return served(sent)
    }
    ctx.send(link.peer, { kind: 'sync-chunk', message: answer.chunk })
    lastRequest = frame.message.requestSeq
    sent += answer.chunk.entries.length
    ctx.metrics.chunksServed++
    ctx.metrics.entriesServed += answer.chunk.entries.length
  }
}

async function serveFetch(
  ctx: SessionContext,
  channel: ChannelId,
  announced: TreeHead,
  fetch: SyncFetch,
): Promise<Served> {
  if (fetch.channelId !== channel || fetch.treeSize !== announced.size) {
    return { close: 'bad-range', detail: `only the announced head of ${announced.size} is served` }
  }
  const { serveMaxEntries, serveMaxBytes } = ctx.limits
  let entries: Entry[]
  try {
    entries = await ctx.store.read(channel, fetch.fromSeq, fetch.treeSize as Seq, {
      maxEntries: Math.min(fetch.maxEntries, serveMaxEntries),
      maxBytes: Math.min(fetch.maxBytes, serveMaxBytes),
    })
  } catch (error) {
    if (error instanceof RangeEvictedError) return { close: 'evicted', detail: '' }
    throw error
  }
  const tree = await ctx.index.tree(channel)
  // Everything below is synchronous: the tree is live only until the next await.
  const hasher = ctx.index.hasher
  const unchanged =
    tree !== undefined &&
    entries.length > 0 &&
    tree.size >= announced.size &&
    equals(tree.root(announced.size), announced.root) &&
    entries.every((e) => equals(tree.leaf(e.seq), hashLeaf(hasher, e.hash)))
  if (!unchanged) return { close: 'log-changed', detail: '' }
  const end = fetch.fromSeq + entries.length
  return {
    chunk: {
      channelId: channel,
      sessionId: fetch.sessionId,
      requestSeq: fetch.requestSeq,
      firstSeq: fetch.fromSeq,
      treeSize: announced.size,
      proof: tree.rangeProof(fetch.fromSeq, end, announced.size).path,
      entries,
    },
  }
}
