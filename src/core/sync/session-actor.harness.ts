/**
 * Shared setup for the session actor tests: a ManualClock, a recording
 * logger, a scripted runner and the results the actor delivers.
 */
import { expect } from 'vitest'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { MemoryLogger } from '../logger.js'
import { ManualClock } from '../time/manual-clock.js'
import { ScriptedRunner, type ScriptedRunnerOptions } from './scripted-session-runner.js'
import { SyncSessionActor, type SyncSessionActorOptions } from './session-actor.js'
import type { SessionJob, SyncSessionResult } from './session-job.js'

export const A: ChannelId = channelId('chan-a')
export const B: ChannelId = channelId('chan-b')
export const P1: PeerId = peerId('peer-1')
export const P2: PeerId = peerId('peer-2')

export const initiator = (channel: ChannelId, peer?: PeerId): SessionJob =>
  peer === undefined ? { kind: 'initiator', channel } : { kind: 'initiator', channel, peer }
export const responder = (peer: PeerId): SessionJob => ({ kind: 'responder', peer, inbound: {} })

export function setupActor(
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

export function expectGuardsReleased(actor: SyncSessionActor): void {
  const s = actor.snapshot()
  expect({ inFlight: s.inFlight, channels: s.inFlightChannels, running: s.running }).toEqual({
    inFlight: 0,
    channels: 0,
    running: 0,
  })
}
