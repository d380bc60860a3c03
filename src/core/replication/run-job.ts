/**
 * What each job of a replication runtime's loop does (runtime-jobs.ts says
 * when it runs). A job that throws is counted (`handlerErrorsTotal`) and the
 * loop goes on: one bad frame or failed write must not stop the channel.
 */
import { type Advancing, runAppendGroup } from './append-group.js'
import type { Inbound } from './inbound.js'
import { startHandoff } from './leader-handoff.js'
import { nextAuthorSeq } from './local-append.js'
import { onInbound } from './on-inbound.js'
import { onPeersUnreachable } from './on-peers-unreachable.js'
import { expireParked, serveParked } from './on-sync-request.js'
import { onTick } from './on-tick.js'
import { moveOutbox } from './outbox-flow.js'
import { transition } from './runtime-actions.js'
import type { RuntimeContext } from './runtime-context.js'
import type { Job } from './runtime-jobs.js'
import { sendTailNotice } from './tail-notice.js'

/** Runs one job; true when it was Shutdown and the loop must end. */
export async function runJob(
  ctx: RuntimeContext,
  job: Job,
  advancing: Advancing,
): Promise<boolean> {
  try {
    switch (job.kind) {
      case 'event':
        if (job.event.kind === 'shutdown') {
          await transition(ctx, 'idle', 'channel-close')
          return true
        }
        await advancing(() => onInbound(ctx, job.event as Exclude<Inbound, { kind: 'shutdown' }>))
        return false
      case 'append':
        await runAppendGroup(ctx, job.jobs, advancing)
        return false
      case 'author-seq':
        await nextAuthorSeq(ctx).then(job.read.resolve, job.read.reject)
        return false
      case 'handoff':
        job.job.resolve(await startHandoff(ctx, job.job.to))
        return false
      case 'tick':
        await onTick(ctx)
        await expireParked(ctx)
        await advancing(() => moveOutbox(ctx))
        return false
      case 'outbox':
        await advancing(() => moveOutbox(ctx))
        return false
      case 'parked':
        await serveParked(ctx)
        return false
      case 'notice':
        await sendTailNotice(ctx)
        return false
      case 'unreachable':
        await onPeersUnreachable(ctx, job.peers)
        return false
    }
  } catch {
    ctx.metrics.add('handlerErrorsTotal')
    return false
  }
}
