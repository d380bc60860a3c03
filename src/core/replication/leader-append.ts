/**
 * Beyond the seed: the leader commits writes. Drafts (this peer's own
 * appends, or writes forwarded to it) are sealed onto the local tail (seq
 * and hash chain assigned here) and appended in one atomic batch; a
 * draft's signature travels into its entry untouched.
 */
import { sealRun } from '../log/entry-chain.js'
import type { Seq } from '../log/ids.js'
import { StorageFullError } from '../log/log-errors.js'
import type { OutboxEntry } from '../log/log-store.js'
import { NotLeaderError } from './replication-errors.js'
import { reactToDiskPressure } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'

export interface AppendResult {
  /** Seq of the first appended entry. */
  readonly firstSeq: Seq
  /** The tail after the append. */
  readonly nextSeq: Seq
}

export async function commitAsLeader(
  ctx: RuntimeContext,
  drafts: readonly OutboxEntry[],
): Promise<AppendResult> {
  if (ctx.coordinator.role !== 'leader') {
    throw new NotLeaderError('only the leader appends to the channel', {
      details: { channel: ctx.channel, role: ctx.coordinator.role },
    })
  }
  // A leader handing off has promised its successor this tail: nothing more.
  if (ctx.handoff.outgoing !== undefined) {
    throw new NotLeaderError('leadership is being handed off', {
      details: { channel: ctx.channel, to: ctx.handoff.outgoing.to },
    })
  }
  const state = ctx.store.state(ctx.channel)
  if (drafts.length === 0) return { firstSeq: state.nextSeq, nextSeq: state.nextSeq }
  // Sealed straight into a packed run (signatures kept as they came): no
  // object per entry between the drafts and the store.
  const run = sealRun(
    ctx.hasher,
    ctx.channel,
    { nextSeq: state.nextSeq, lastHash: state.lastHash },
    drafts,
  )
  try {
    const after = await ctx.store.appendRun(ctx.channel, run)
    ctx.metrics.add('localAppendsTotal')
    ctx.metrics.add('localAppendedEntriesTotal', run.count)
    const result = { firstSeq: state.nextSeq, nextSeq: after.nextSeq }
    ctx.events.emit('entries-appended', { channel: ctx.channel, ...result })
    return result
  } catch (error) {
    // A full disk on the leader follows the same policy as on a replica.
    if (error instanceof StorageFullError) await reactToDiskPressure(ctx)
    throw error
  }
}
