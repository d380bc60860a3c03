/**
 * Signed entries at the two places a runtime handles writes before they
 * are committed: where this peer turns payloads into drafts (signed once,
 * by their author, here) and where a leader is handed drafts another peer
 * proposes (each must carry its author's signature, or the batch is
 * refused and counted — a peer that forges one write is not trusted with
 * the rest). Both do nothing when the runtime has no signer or policy.
 */
import { findForgery, signDrafts } from '../crypto/entry-signing.js'
import type { EntryDraft } from '../log/entry.js'
import type { RuntimeContext } from './runtime-context.js'

/** This peer's own drafts, signed when the runtime signs. */
export function signOwnWrites(
  ctx: RuntimeContext,
  drafts: readonly EntryDraft[],
): Promise<readonly EntryDraft[]> {
  if (ctx.signer === undefined || drafts.length === 0) return Promise.resolve(drafts)
  return signDrafts(ctx.signer, ctx.hasher, ctx.channel, drafts)
}

/**
 * For a leader about to commit drafts proposed by others: true when every
 * draft holds under the runtime's signature policy; false (counted as
 * `forgedEntriesTotal` and a `forged-entry` drop) when one does not.
 */
export async function proposedWritesHold(
  ctx: RuntimeContext,
  drafts: readonly EntryDraft[],
): Promise<boolean> {
  if (ctx.signatures === undefined || drafts.length === 0) return true
  const forgery = await findForgery(ctx.signatures, ctx.hasher, ctx.channel, drafts)
  if (forgery === undefined) return true
  ctx.metrics.add('forgedEntriesTotal')
  ctx.drops.record('forged-entry')
  return false
}
