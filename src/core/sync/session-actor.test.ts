import { describe, expect, it } from 'vitest'
import { AbortedError, ClosedError, TimeoutError } from '../errors.js'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { ManualClock } from '../time/manual-clock.js'
import { MemoryLogger } from './logger.js'
import { ScriptedRunner, type ScriptedRunnerOptions } from './scripted-session-runner.js'
import {
  DEFAULT_MAX_CONCURRENT_SESSIONS,
  DEFAULT_SESSION_DEADLINE_MS,
  SYNC_SESSION_MAILBOX_CAPACITY,
  SyncSessionActor,
  type SyncSessionActorOptions,
} from './session-actor.js'
import type { SessionJob, SyncSessionResult } from './session-job.js'
import { SyncSessionMetrics } from './session-metrics.js'
import { ChannelBusyError, SessionFailedError } from './sync-errors.js'

const A: ChannelId = channelId('chan-a')
const B: ChannelId = channelId('chan-b')
const P1: PeerId = peerId('peer-1')
const P2: PeerId = peerId('peer-2')

const initiator = (channel: ChannelId, peer?: PeerId): SessionJob =>
  peer === undefined ? { kind: 'initiator', channel } : { kind: 'initiator', channel, peer }
const responder = (peer: PeerId): SessionJob => ({ kind: 'responder', peer, inbound: {} })

function setup(
  options: Partial<SyncSessionActorOptions> = {},
  runnerOptions: Partial<ScriptedRunnerOptions> = {},
) {
  const clock = new ManualClock()
  const logger = new MemoryLogger()
  const runner = new ScriptedRunner({ fallbackPeer: P2, ...runnerOptions })
  const results: SyncSessionResult[] = []
  const actor = new SyncSessionActor({
    runner,
    clock,
    logger,
    onResult: (r) => results.push(r),
    ...options,
  })
  /** Lets every promise chain that does not wait on a timer settle. */
  const settle = () => clock.advanceAsync(0)
  return { clock, logger, runner, results, actor, settle }
}

function expectGuardsReleased(actor: SyncSessionActor): void {
  const s = actor.snapshot()
  expect({ inFlight: s.inFlight, channels: s.inFlightChannels, running: s.running }).toEqual({
    inFlight: 0,
    channels: 0,
    running: 0,
  })
}

describe('seed 000: sync session actor', () => {
  it('metrics_start_at_zero', () => {
    const m = new SyncSessionMetrics()
    expect(m.droppedTotal()).toBe(0)
    expect(m.count('mailboxFull')).toBe(0)
    expect(m.count('actorClosed')).toBe(0)
    expect(m.count('channelBusy')).toBe(0)
  })

  it('record_drop_routes_each_reason_to_its_own_counter', () => {
    const m = new SyncSessionMetrics()
    m.recordDrop('mailboxFull')
    m.recordDrop('mailboxFull')
    m.recordDrop('actorClosed')
    m.recordDrop('channelBusy')
    expect(m.count('mailboxFull')).toBe(2)
    expect(m.count('actorClosed')).toBe(1)
    expect(m.count('channelBusy')).toBe(1)
    expect(m.droppedTotal()).toBe(4)
  })

  it('dropped_total_is_the_sum_of_per_reason_counters', () => {
    const m = new SyncSessionMetrics()
    for (let i = 0; i < 3; i++) m.recordDrop('channelBusy')
    m.recordDrop('mailboxFull')
    expect(m.droppedTotal()).toBe(
      m.count('mailboxFull') + m.count('actorClosed') + m.count('channelBusy'),
    )
    expect(m.droppedTotal()).toBe(4)
  })
})

describe('defaults come from the seed', () => {
  it('mailbox 256, 30 concurrent sessions, 30 s deadline', () => {
    const { actor } = setup()
    expect(SYNC_SESSION_MAILBOX_CAPACITY).toBe(256)
    expect(actor.mailboxCapacity).toBe(256)
    expect(actor.maxConcurrent).toBe(DEFAULT_MAX_CONCURRENT_SESSIONS)
    expect(DEFAULT_MAX_CONCURRENT_SESSIONS).toBe(30)
    expect(actor.sessionDeadlineMs).toBe(DEFAULT_SESSION_DEADLINE_MS)
    expect(DEFAULT_SESSION_DEADLINE_MS).toBe(30_000)
    expect(actor.summaryIntervalMs).toBe(60_000)
  })
})

describe('the mailbox is bounded and submit never waits', () => {
  it('refuses past capacity and after stop, counting each drop by reason', async () => {
    const { actor, settle } = setup({ mailboxCapacity: 2 })
    expect(actor.trySubmit(initiator(A)).status).toBe('queued')
    expect(actor.trySubmit(initiator(B)).status).toBe('queued')
    expect(actor.trySubmit(initiator(A))).toEqual({ status: 'mailbox-full' })
    expect(actor.snapshot().queued).toBe(2)
    await actor.stop()
    expect(actor.trySubmit(initiator(A))).toEqual({ status: 'actor-closed' })
    await settle()
    const { dropped } = actor.snapshot()
    // Two queued jobs failed at stop, one submit after stop, one overflow.
    expect(dropped).toEqual({ mailboxFull: 1, actorClosed: 3, channelBusy: 0, total: 4 })
  })

  it('queued jobs run in submission order once the loop starts', async () => {
    const { actor, runner, settle } = setup()
    const first = actor.trySubmit(initiator(A))
    const second = actor.trySubmit(responder(P1))
    expect(first).toEqual({ status: 'queued', jobId: 1 })
    expect(second).toEqual({ status: 'queued', jobId: 2 })
    await settle()
    expect(runner.runs).toHaveLength(0)
    actor.start()
    await settle()
    expect(runner.runs.map((r) => r.job.kind)).toEqual(['initiator', 'responder'])
  })
})

describe('the loop is event-driven', () => {
  it('an idle actor holds only its summary timer and wakes on submit without clock time', async () => {
    const { actor, clock, runner, settle } = setup()
    actor.start()
    await settle()
    expect(clock.pendingTimers()).toBe(1)
    actor.trySubmit(initiator(A))
    await settle()
    expect(clock.now()).toBe(0)
    expect(runner.runs).toHaveLength(1)
    // The summary timer and this session's deadline.
    expect(clock.pendingTimers()).toBe(2)
  })
})

describe('one in-flight initiator per channel', () => {
  it('a duplicate gets an immediate synthetic failure and is counted as channelBusy', async () => {
    const { actor, runner, results, settle } = setup()
    actor.start()
    const first = actor.trySubmit(initiator(A, P1))
    const dup = actor.trySubmit(initiator(A, P2))
    await settle()
    expect(runner.runs).toHaveLength(1)
    expect(results).toHaveLength(1)
    const refused = results[0] as SyncSessionResult
    expect(refused.jobId).toBe(dup.status === 'queued' ? dup.jobId : -1)
    expect(refused).toMatchObject({ channel: A, peer: P2, tookMs: 0, status: 'error' })
    expect(refused.status === 'error' && refused.error).toBeInstanceOf(ChannelBusyError)
    expect(actor.snapshot().dropped.channelBusy).toBe(1)

    runner.runs[0]?.succeed()
    await settle()
    expect(results.map((r) => [r.jobId, r.status])).toEqual([
      [dup.status === 'queued' ? dup.jobId : -1, 'error'],
      [first.status === 'queued' ? first.jobId : -1, 'ok'],
    ])
    // The gate is released: the channel takes a new initiator.
    actor.trySubmit(initiator(A, P2))
    await settle()
    expect(runner.runs).toHaveLength(2)
  })

  it('other channels and responders are not gated', async () => {
    const { actor, runner, settle } = setup()
    actor.start()
    actor.trySubmit(initiator(A))
    actor.trySubmit(initiator(B))
    actor.trySubmit(responder(P1))
    actor.trySubmit(responder(P1))
    await settle()
    expect(runner.runs).toHaveLength(4)
    expect(actor.snapshot()).toMatchObject({ inFlight: 4, inFlightChannels: 2, running: 4 })
  })
})

describe('the concurrency limit caps running sessions', () => {
  it('the job past the limit waits for a slot and runs when one frees', async () => {
    const { actor, runner, settle } = setup({ maxConcurrent: 2 })
    actor.start()
    actor.trySubmit(initiator(A))
    actor.trySubmit(initiator(B))
    actor.trySubmit(responder(P1))
    await settle()
    expect(runner.runs).toHaveLength(2)
    expect(actor.snapshot()).toMatchObject({ running: 2, waitingForSlot: 1, inFlight: 3 })
    runner.runs[0]?.succeed()
    await settle()
    expect(runner.runs).toHaveLength(3)
    expect(runner.runs[2]?.job.kind).toBe('responder')
    expect(actor.snapshot()).toMatchObject({ running: 2, waitingForSlot: 0, inFlight: 2 })
  })

  it('a full waiting room backs jobs up into the mailbox, where overflow is counted', async () => {
    const { actor, runner, settle } = setup({
      maxConcurrent: 1,
      maxWaitingForSlot: 1,
      mailboxCapacity: 2,
    })
    actor.start()
    for (let i = 0; i < 3; i++) {
      expect(actor.trySubmit(responder(P1)).status).toBe('queued')
      await settle()
    }
    // One running, one waiting for a slot, one held by the paused loop.
    expect(actor.snapshot()).toMatchObject({ running: 1, waitingForSlot: 1, queued: 0 })
    expect(actor.trySubmit(responder(P1)).status).toBe('queued')
    expect(actor.trySubmit(responder(P1)).status).toBe('queued')
    expect(actor.trySubmit(responder(P1))).toEqual({ status: 'mailbox-full' })
    runner.runs[0]?.succeed()
    await settle()
    expect(actor.snapshot()).toMatchObject({ running: 1, waitingForSlot: 1, queued: 1 })
    expect(actor.snapshot().dropped.mailboxFull).toBe(1)
  })
})

describe('one session deadline covers waiting for a slot and running', () => {
  it('a job that waited 400 ms for its slot times out 600 ms after it started running', async () => {
    const { actor, clock, runner, results, settle } = setup({
      maxConcurrent: 1,
      sessionDeadlineMs: 1_000,
    })
    actor.start()
    actor.trySubmit(initiator(A, P1))
    await clock.advanceAsync(600)
    actor.trySubmit(initiator(B, P1))
    await settle()
    expect(runner.runs).toHaveLength(1)
    await clock.advanceAsync(400)
    // A timed out at 1000; B got the slot, with 600 ms of its deadline left.
    expect(results.map((r) => [r.channel, r.status, r.tookMs])).toEqual([[A, 'timeout', 1_000]])
    expect(runner.runs).toHaveLength(2)
    await clock.advanceAsync(599)
    expect(results).toHaveLength(1)
    await clock.advanceAsync(1)
    expect(results.map((r) => [r.channel, r.status, r.tookMs])).toEqual([
      [A, 'timeout', 1_000],
      [B, 'timeout', 1_000],
    ])
    const timeout = results[1] as SyncSessionResult
    expect(timeout.status === 'timeout' && timeout.error).toBeInstanceOf(TimeoutError)
    expect(actor.snapshot().timeoutTotal).toBe(2)
    expectGuardsReleased(actor)
  })

  it('a job that never gets a slot still yields a timeout result', async () => {
    const { actor, clock, results } = setup(
      { maxConcurrent: 1, sessionDeadlineMs: 1_000 },
      { honourSignal: false },
    )
    actor.start()
    actor.trySubmit(responder(P1))
    actor.trySubmit(initiator(A, P1))
    await clock.advanceAsync(1_000)
    expect(results.map((r) => [r.status, r.tookMs])).toEqual([['timeout', 1_000]])
    expectGuardsReleased(actor)
  })
})

describe('each initiator result reaches the manager', () => {
  it('ok carries the peer the runner chose and the clock duration', async () => {
    const { actor, clock, runner, results, settle } = setup()
    actor.start()
    actor.trySubmit(initiator(A))
    await clock.advanceAsync(250)
    runner.runs[0]?.succeed({ peer: P1, entriesReceived: 7 })
    await settle()
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({
      channel: A,
      peer: P1,
      tookMs: 250,
      status: 'ok',
      outcome: { peer: P1, entriesReceived: 7, entriesSent: 0 },
    })
    expect(actor.snapshot()).toMatchObject({ processedTotal: 1, errorTotal: 0, timeoutTotal: 0 })
  })

  it('a failure is wrapped in a typed error that keeps its cause; responders yield no result', async () => {
    const { actor, runner, results, settle } = setup()
    actor.start()
    actor.trySubmit(initiator(A, P1))
    actor.trySubmit(responder(P2))
    await settle()
    const cause = new Error('peer hung up')
    runner.runs[0]?.fail(cause)
    runner.runs[1]?.fail(new Error('bad frame'))
    await settle()
    expect(results).toHaveLength(1)
    const failed = results[0] as SyncSessionResult
    expect(failed).toMatchObject({ channel: A, peer: P1, status: 'error' })
    expect(failed.status === 'error' && failed.error).toBeInstanceOf(SessionFailedError)
    expect(failed.status === 'error' && failed.error.cause).toBe(cause)
    expect(actor.snapshot()).toMatchObject({ processedTotal: 0, errorTotal: 2, timeoutTotal: 0 })
  })
})

describe('every guard is released on every path', () => {
  it('when the runner throws synchronously', async () => {
    const { actor, results, settle } = setup({}, { throwSynchronously: new Error('boom') })
    actor.start()
    actor.trySubmit(initiator(A))
    actor.trySubmit(responder(P1))
    await settle()
    expect(results.map((r) => r.status)).toEqual(['error'])
    expectGuardsReleased(actor)
    expect(actor.snapshot().errorTotal).toBe(2)
  })

  it('when the runner ignores its signal past the deadline', async () => {
    const { actor, clock, runner, results, settle } = setup(
      { sessionDeadlineMs: 500 },
      { honourSignal: false },
    )
    actor.start()
    actor.trySubmit(initiator(A))
    await clock.advanceAsync(500)
    expect(results.map((r) => r.status)).toEqual(['timeout'])
    expectGuardsReleased(actor)
    // A late completion of the abandoned run changes nothing.
    runner.runs[0]?.succeed()
    await settle()
    expect(results).toHaveLength(1)
    expect(actor.snapshot().processedTotal).toBe(0)
  })

  it('when the result handler throws', async () => {
    const clock = new ManualClock()
    const logger = new MemoryLogger()
    const runner = new ScriptedRunner({ fallbackPeer: P1 })
    const actor = new SyncSessionActor({
      runner,
      clock,
      logger,
      onResult: () => {
        throw new Error('handler bug')
      },
    })
    actor.start()
    actor.trySubmit(initiator(A))
    actor.trySubmit(initiator(A))
    await clock.advanceAsync(0)
    runner.runs[0]?.succeed()
    await clock.advanceAsync(0)
    expectGuardsReleased(actor)
    expect(logger.withMessage('sync session result handler threw')).toHaveLength(2)
    actor.trySubmit(initiator(A))
    await clock.advanceAsync(0)
    expect(runner.runs).toHaveLength(2)
  })

  it('when stop aborts a session that ignores its signal', async () => {
    const { actor, clock, results } = setup({}, { honourSignal: false })
    actor.start()
    actor.trySubmit(initiator(A))
    await clock.advanceAsync(0)
    const stopped = actor.stop({ drainMs: 2_000 })
    await clock.advanceAsync(2_000)
    await stopped
    expect(results.map((r) => r.status)).toEqual(['error'])
    const aborted = results[0] as SyncSessionResult
    expect(aborted.status === 'error' && aborted.error).toBeInstanceOf(AbortedError)
    expectGuardsReleased(actor)
  })
})

describe('a summary is logged every 60 s and at stop', () => {
  it('through the injected logger with the seed counters', async () => {
    const { actor, clock, logger, runner, settle } = setup()
    actor.start()
    actor.trySubmit(initiator(A))
    actor.trySubmit(initiator(A))
    await settle()
    runner.runs[0]?.succeed()
    await clock.advanceAsync(60_000)
    const summaries = logger.withMessage('sync session actor summary')
    expect(summaries).toHaveLength(1)
    expect(summaries[0]?.fields).toEqual({
      processedTotal: 1,
      errorTotal: 0,
      timeoutTotal: 0,
      droppedTotal: 1,
      channelBusyTotal: 1,
      inFlight: 0,
      inFlightChannels: 0,
    })
    await clock.advanceAsync(60_000)
    expect(logger.withMessage('sync session actor summary')).toHaveLength(2)
    await actor.stop()
    expect(logger.withMessage('sync session actor summary')).toHaveLength(3)
    expect(clock.pendingTimers()).toBe(0)
  })
})

describe('stop drains running sessions, then aborts the rest', () => {
  it('fails queued jobs, cancels slot waiters, lets running sessions finish within the drain', async () => {
    const { actor, clock, runner, results, settle } = setup({ maxConcurrent: 1 })
    actor.start()
    actor.trySubmit(initiator(A, P1))
    actor.trySubmit(initiator(B, P1))
    await settle()
    expect(actor.snapshot()).toMatchObject({ running: 1, waitingForSlot: 1 })
    let stopped = false
    const stopping = actor.stop({ drainMs: 2_000 }).then(() => {
      stopped = true
    })
    expect(actor.state).toBe('stopping')
    expect(actor.trySubmit(initiator(A))).toEqual({ status: 'actor-closed' })
    await settle()
    // B never got a slot: cancelled at once. A keeps running.
    expect(results.map((r) => [r.channel, r.status])).toEqual([[B, 'error']])
    const cancelled = results[0] as SyncSessionResult
    expect(cancelled.status === 'error' && cancelled.error).toBeInstanceOf(AbortedError)
    await clock.advanceAsync(1_500)
    runner.runs[0]?.succeed()
    await settle()
    await stopping
    expect(stopped).toBe(true)
    expect(clock.now()).toBe(1_500)
    expect(results.map((r) => [r.channel, r.status])).toEqual([
      [B, 'error'],
      [A, 'ok'],
    ])
    expect(actor.state).toBe('stopped')
    expectGuardsReleased(actor)
  })

  it('jobs still in the mailbox get a ClosedError result', async () => {
    const { actor, results, settle } = setup()
    actor.trySubmit(initiator(A))
    actor.trySubmit(responder(P1))
    await actor.stop()
    await settle()
    expect(results.map((r) => r.status)).toEqual(['error'])
    const closed = results[0] as SyncSessionResult
    expect(closed.status === 'error' && closed.error).toBeInstanceOf(ClosedError)
    expect(actor.snapshot().dropped.actorClosed).toBe(2)
  })

  it('is idempotent, and a stopped actor does not restart', async () => {
    const { actor } = setup()
    actor.start()
    actor.start()
    const a = actor.stop()
    const b = actor.stop()
    expect(a).toBe(b)
    await a
    expect(() => actor.start()).toThrow(ClosedError)
  })
})
