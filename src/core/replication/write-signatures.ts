/**
 * Signed entries at the two places a runtime handles writes before they
 * are committed: where this peer turns payloads into drafts (signed once,
 * by their author, here) and where a leader is handed drafts another peer
 * proposes (each must carry its author's signature; a forged one is
 * dropped and counted). Both do nothing when the runtime has no signer or policy.
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
 * For a leader about to commit drafts proposed by others: the drafts that
 * hold under the runtime's signature policy (all of them without one). A
 * forged write is dropped and counted (`forgedEntriesTotal`, a
 * `forged-entry` drop), never committed; the rest still are, so one bad
 * author in a relayed batch cannot stall the others.
 */
export async function genuineWrites<D extends EntryDraft>(
  ctx: RuntimeContext,
  drafts: readonly D[],
): Promise<readonly D[]> {
  const policy = ctx.signatures
  if (policy === undefined || drafts.length === 0) return drafts
  const kept: D[] = []
  let rest = drafts
  for (;;) {
    const forgery = await findForgery(policy, ctx.hasher, ctx.channel, rest)
    if (forgery === undefined) return kept.concat(rest)
    kept.push(...rest.slice(0, forgery.index))
    // A signed group that fails fails as a whole: its writes go together.
    ctx.metrics.add('forgedEntriesTotal', forgery.end - forgery.index)
    ctx.drops.record('forged-entry', forgery.end - forgery.index)
    rest = rest.slice(forgery.end)
  }
}
