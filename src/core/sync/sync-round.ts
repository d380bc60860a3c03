/**
 * One sync round: every channel against the given peers. Channels run in
 * parallel up to `maxConcurrent`; within a channel the peers are visited one
 * after another, since the actor allows one initiator per channel. A round
 * stops starting sessions as soon as `shouldContinue()` turns false (the
 * manager is stopping) and stops waiting when `signal` aborts.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { InitiatorJob, SubmitReceipt, SyncSessionResult } from './session-job.js'
import type { SessionResultWaiters } from './session-result-waiters.js'

export interface SyncRoundReport {
  readonly channels: number
  /** Sessions the actor accepted. */
  readonly sessions: number
  readonly succeeded: number
  readonly failed: number
  readonly timedOut: number
  /** Jobs the actor refused at submit (mailbox full, actor closed): they have no result. */
  readonly refused: number
  /** Sessions not started because the peer is avoided after it misbehaved. */
  readonly avoided: number
  /** False when the round was cut short by a stop. */
  readonly complete: boolean
  readonly results: readonly SyncSessionResult[]
}

export interface SyncRoundDeps {
  readonly submit: (job: InitiatorJob) => SubmitReceipt
  readonly waiters: SessionResultWaiters
  readonly maxConcurrent: number
  readonly shouldContinue: () => boolean
  readonly isAvoided: (peer: PeerId) => boolean
}

export async function runSyncRound(
  deps: SyncRoundDeps,
  channels: readonly ChannelId[],
  peers: readonly PeerId[],
  signal: AbortSignal,
): Promise<SyncRoundReport> {
  const results: SyncSessionResult[] = []
  let refused = 0
  let avoided = 0
  let complete = true
  let next = 0
  const worker = async (): Promise<void> => {
    for (let i = next++; i < channels.length; i = next++) {
      const channel = channels[i] as ChannelId
      for (const peer of peers) {
        if (!deps.shouldContinue() || signal.aborted) {
          complete = false
          return
        }
        if (deps.isAvoided(peer)) {
          avoided++
          continue
        }
        const receipt = deps.submit({ kind: 'initiator', channel, peer })
        if (receipt.status !== 'queued') {
          refused++
          continue
        }
        results.push(await deps.waiters.wait(receipt.jobId, signal))
      }
    }
  }
  const workers = Math.max(1, Math.min(deps.maxConcurrent, channels.length))
  await Promise.all(Array.from({ length: workers }, worker))
  const count = (status: SyncSessionResult['status']) =>
    results.filter((r) => r.status === status).length
  return {
    channels: channels.length,
    sessions: results.length,
    succeeded: count('ok'),
    failed: count('error'),
    timedOut: count('timeout'),
    refused,
    avoided,
    complete,
    results,
  }
}
