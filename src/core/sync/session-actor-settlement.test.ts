import { describe, expect, it } from 'vitest'
import { AbortedError, ClosedError } from '../errors.js'
import { MemoryLogger } from '../logger.js'
import { ManualClock } from '../time/manual-clock.js'
import { ScriptedRunner } from './scripted-session-runner.js'
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
import { SyncSessionActor } from './session-actor.js'
import type { SyncSessionResult } from './session-job.js'
import { SessionFailedError } from './sync-errors.js'

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
