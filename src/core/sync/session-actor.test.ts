import { describe, expect, it } from 'vitest'
import { TimeoutError } from '../errors.js'
import {
  A,
  B,
  expectGuardsReleased,
  initiator,
  P1,
  P2,
  responder,
  setupActor as setup,
} from './session-actor.harness.js'
import {
  DEFAULT_MAX_CONCURRENT_SESSIONS,
  DEFAULT_SESSION_DEADLINE_MS,
  SYNC_SESSION_MAILBOX_CAPACITY,
} from './session-actor.js'
import type { SyncSessionResult } from './session-job.js'
import { SyncSessionMetrics } from './session-metrics.js'
import { ChannelBusyError } from './sync-errors.js'

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
