/**
 * Beyond the seed: the leader's own writes. Payloads are sealed onto the
 * local tail (seq and hash chain assigned here) and appended in one atomic
 * batch. Only the leader appends for now; forwarded and offline writes
 * come later.
 *
 * Each entry's author is this peer and its `authorSeq` is its seq: unique
 * for the author in this channel and durable without extra state. With a
 * signer, each draft is signed here, where the payload becomes a draft.
 */
import type { EntryDraft } from '../log/entry.js'
import { sealEntries } from '../log/entry-chain.js'
import type { Seq } from '../log/ids.js'
import { StorageFullError } from '../log/log-errors.js'
import { NotLeaderError } from './replication-errors.js'
import { reactToDiskPressure } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'
import { signOwnWrites } from './write-signatures.js'

export interface AppendResult {
  /** Seq of the first appended entry. */
  readonly firstSeq: Seq
  /** The tail after the append. */
  readonly nextSeq: Seq
}

export async function appendAsLeader(
  ctx: RuntimeContext,
  payloads: readonly Uint8Array[],
): Promise<AppendResult> {
  if (ctx.coordinator.role !== 'leader') {
    throw new NotLeaderError('only the leader appends to the channel', {
      details: { channel: ctx.channel, role: ctx.coordinator.role },
    })
  }
  const state = ctx.store.state(ctx.channel)
  if (payloads.length === 0) return { firstSeq: state.nextSeq, nextSeq: state.nextSeq }
  const unsigned: EntryDraft[] = payloads.map((payload, index) => ({
    author: ctx.self,
    authorSeq: state.nextSeq + index,
    payload,
  }))
  const drafts = await signOwnWrites(ctx, unsigned)
  const entries = sealEntries(
    ctx.hasher,
    ctx.channel,
    { nextSeq: state.nextSeq, lastHash: state.lastHash },
    drafts,
  )
  try {
    const after = await ctx.store.append(ctx.channel, entries)
    ctx.metrics.add('localAppendsTotal')
    ctx.metrics.add('localAppendedEntriesTotal', entries.length)
    const result = { firstSeq: state.nextSeq, nextSeq: after.nextSeq }
    ctx.events.emit('entries-appended', { channel: ctx.channel, ...result })
    return result
  } catch (error) {
    // A full disk on the leader follows the same policy as on a replica.
    if (error instanceof StorageFullError) await reactToDiskPressure(ctx)
    throw error
  }
}
