import { describe, expect, it } from 'vitest'
import { channelId as channelIdOf, peerId, seq } from '../log/ids.js'
import type { AppendJob } from './append-group.js'
import type { Inbound } from './inbound.js'
import { type Job, RuntimeJobs } from './runtime-jobs.js'

const peer = peerId('peer-b')
const channelId = channelIdOf('c')
const heartbeat: Inbound = {
  kind: 'heartbeat',
  from: peer,
  message: { channelId, tailSeq: seq(0), role: 'leader', wallClockMs: 0 },
}
// A nack rides the priority lane, as every answer to our own requests does.
const nack: Inbound = {
  kind: 'sync-nack',
  from: peer,
  message: {
    channelId,
    sinceSeq: seq(0),
    reason: 'backpressure',
    leaderFirstRetainedSeq: seq(0),
    requestId: 1n,
    detail: '',
  },
}

function append(count: number): AppendJob {
  return {
    payloads: Array.from({ length: count }, () => new Uint8Array(1)),
    resolve: () => undefined,
    reject: () => undefined,
  }
}

function drain(jobs: RuntimeJobs): string[] {
  const kinds: string[] = []
  for (let job: Job | undefined = jobs.next(); job !== undefined; job = jobs.next()) {
    kinds.push(job.kind === 'event' ? `event:${job.event.kind}` : job.kind)
  }
  return kinds
}

describe('the runtime loop serves its jobs in one order', () => {
  it('priority lane, lost peers, hand-offs, authorSeq reads, appends, due jobs, low lane', () => {
    const jobs = new RuntimeJobs({ appendBacklog: 8 })
    jobs.inbox.tryPush(heartbeat)
    for (const due of ['notice', 'parked', 'outbox', 'tick'] as const) jobs.markDue(due)
    jobs.appends.tryPush(append(1))
    jobs.authorSeqReads.tryPush({ resolve: () => undefined, reject: () => undefined })
    jobs.handoffs.tryPush({ to: peer, resolve: () => undefined })
    jobs.unreachable.add(peer)
    jobs.inbox.tryPush(nack)
    expect(jobs.hasWork()).toBe(true)
    expect(drain(jobs)).toEqual([
      'event:sync-nack',
      'unreachable',
      'handoff',
      'author-seq',
      'append',
      'tick',
      'outbox',
      'parked',
      'notice',
      'event:heartbeat',
    ])
    expect(jobs.hasWork()).toBe(false)
  })

  it('a due job marked many times runs once', () => {
    const jobs = new RuntimeJobs({ appendBacklog: 8 })
    jobs.markDue('tick')
    jobs.markDue('tick')
    expect(drain(jobs)).toEqual(['tick'])
  })

  it('appends waiting together go as one group, and the low lane gets a turn after each', () => {
    const jobs = new RuntimeJobs({ appendBacklog: 8 })
    jobs.appends.tryPush(append(1))
    jobs.appends.tryPush(append(2))
    jobs.inbox.tryPush(heartbeat)
    const first = jobs.next()
    expect(first?.kind === 'append' && first.jobs.length).toBe(2)
    jobs.appends.tryPush(append(1))
    jobs.inbox.tryPush(heartbeat)
    expect(drain(jobs)).toEqual(['event:heartbeat', 'append', 'event:heartbeat'])
  })
})
