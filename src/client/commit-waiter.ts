/**
 * `MeshLog.waitCommitted`: waits until a pending write is seen committed in
 * this peer's log. It listens for the `committed` event first, then asks
 * the worker whether the write committed already (so a commit racing the
 * call is not missed), and gives up at the deadline with CommitTimeoutError
 * (the write stays pending; waiting again is fine).
 */
import { AbortedError, InvalidArgumentError } from '../core/errors.js'
import type { PeerId, Seq } from '../core/log/ids.js'
import type { WriteState } from '../core/node/peer-node.js'
import { CommitTimeoutError } from './client-errors.js'

/** A write `append` resolved as pending: it waits in this peer's outbox. */
export interface PendingWrite {
  readonly channel: string
  readonly author: PeerId
  readonly authorSeq: number
}

/** One write seen committed in the local log; `seq` when this peer saw it arrive. */
export interface CommittedWriteEvent extends PendingWrite {
  readonly seq?: Seq
}

export interface WaitCommittedOptions {
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
}

export const WAIT_COMMITTED_TIMEOUT_MS_DEFAULT = 30_000

export interface CommitSource {
  /** Subscribes to committed writes; returns the unsubscribe function. */
  onCommitted(listener: (write: CommittedWriteEvent) => void): () => void
  writeState(write: PendingWrite): Promise<WriteState>
}

export function waitCommitted(
  source: CommitSource,
  pending: PendingWrite,
  options: WaitCommittedOptions = {},
): Promise<{ readonly seq?: Seq }> {
  const timeoutMs = options.timeoutMs ?? WAIT_COMMITTED_TIMEOUT_MS_DEFAULT
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
    return Promise.reject(
      new InvalidArgumentError('timeoutMs must be a non-negative number', {
        details: { timeoutMs: String(timeoutMs) },
      }),
    )
  }
  const write = { channel: pending.channel, author: pending.author, authorSeq: pending.authorSeq }
  return new Promise((resolve, reject) => {
    let done = false
    const finish = (settle: () => void) => {
      if (done) return
      done = true
      off()
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      settle()
    }
    const off = source.onCommitted((committed) => {
      if (
        committed.channel === write.channel &&
        committed.author === write.author &&
        committed.authorSeq === write.authorSeq
      ) {
        finish(() => resolve(committed.seq === undefined ? {} : { seq: committed.seq }))
      }
    })
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new CommitTimeoutError(`write ${write.authorSeq} of ${write.author} is still pending`, {
              details: { ...write, timeoutMs },
            }),
          ),
        ),
      timeoutMs,
    )
    const onAbort = () =>
      finish(() => reject(new AbortedError('waitCommitted was aborted', { details: write })))
    if (options.signal?.aborted) onAbort()
    options.signal?.addEventListener('abort', onAbort)
    source.writeState(write).then(
      (state) => {
        if (state === 'committed') finish(() => resolve({}))
      },
      // The worker may be restarting; the event (or the deadline) still ends the wait.
      () => undefined,
    )
  })
}
