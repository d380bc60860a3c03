import { describe, expect, it } from 'vitest'
import { channelId, peerId } from '../log/ids.js'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import type { AdminCommand, SignedAdminCommit } from './admin-commands.js'
import { adminCommitSigningPayload } from './admin-commands.js'
import type { AdminVerdict } from './admin-verifier.js'
import type { ControlEvent } from './control-events.js'
import { ControlLoop } from './control-loop.js'
import {
  channelView,
  FAST_TEST_CONFIG,
  FakeAdminKeys,
  hasher,
  makeTestLoop,
  SELF,
  type TestLoop,
} from './test-control-kit.js'

const chat = channelId('chat')
const A = peerId('a')
const create: AdminCommand = { type: 'create-channel', channel: chat, replicaSet: [SELF, A] }

/** Publishes `events`, runs one tick, and returns the loop's snapshot. */
async function afterTick(t: TestLoop, ...events: ControlEvent[]) {
  const handle = t.loop.acquireHandle()
  t.loop.start()
  for (const event of events) await handle.publish(event)
  await t.clock.advanceAsync(10)
  return t.loop.snapshot()
}

const signed = (t: TestLoop, command: AdminCommand, signer?: string): ControlEvent => ({
  type: 'signed-admin-commit',
  commit: t.keys.sign(command, t.clock.wallNow(), signer),
})

describe('admin commits: signed, verified, audited, then folded', () => {
  it('applies a commit the verifier accepts, and audits it as accepted', async () => {
    const t = makeTestLoop()
    const snapshot = await afterTick(t, signed(t, create))
    expect(channelView(snapshot, 'chat')?.desired?.replicaSet).toEqual([SELF, A])
    expect(snapshot.adminAudit).toMatchObject([
      { seq: 1, command: create, signer: 'admin-1', outcome: { status: 'accepted' } },
    ])
    expect(snapshot.counters.admin).toEqual({ accepted: 1, unverified: 0, rejected: 0 })
  })

  it('rejects a tampered command, an unknown key and a stale commit; none changes state', async () => {
    const t = makeTestLoop()
    const good = t.keys.sign(create, t.clock.wallNow())
    const tampered: SignedAdminCommit = { ...good, command: { ...create, replicaSet: [A] } }
    const stranger = new FakeAdminKeys(['mallory']).sign(create, t.clock.wallNow(), 'mallory')
    const stale = t.keys.sign(create, t.clock.wallNow() - 3_600_000)
    const snapshot = await afterTick(
      t,
      { type: 'signed-admin-commit', commit: tampered },
      { type: 'signed-admin-commit', commit: stranger },
      { type: 'signed-admin-commit', commit: stale },
    )
    expect(snapshot.channels).toEqual([])
    expect(snapshot.adminAudit.map((r) => r.outcome)).toMatchObject([
      { status: 'rejected', kind: 'bad-signature' },
      { status: 'rejected', kind: 'unknown-signer' },
      { status: 'rejected', kind: 'stale' },
    ])
  })

  it('fails closed: without a verifier every signed commit is rejected', async () => {
    const clock = new ManualClock()
    const keys = new FakeAdminKeys()
    const loop = new ControlLoop({
      thisPeer: SELF,
      clock,
      rng: seededRng(3),
      hasher,
      config: FAST_TEST_CONFIG,
    })
    const snapshot = await afterTick(
      { loop, clock, keys },
      { type: 'signed-admin-commit', commit: keys.sign(create, clock.wallNow()) },
    )
    expect(snapshot.adminAudit[0]?.outcome).toMatchObject({
      status: 'rejected',
      kind: 'no-verifier',
    })
    expect(snapshot.channels).toEqual([])
  })

  it('bounds an asynchronous verifier with verifyTimeoutMs', async () => {
    const t = makeTestLoop({
      config: { verifyTimeoutMs: 30 },
      adminVerifier: { verify: () => new Promise<AdminVerdict>(() => {}) },
    })
    const handle = t.loop.acquireHandle()
    t.loop.start()
    await handle.publish(signed(t, create))
    await t.clock.advanceAsync(40)
    expect(t.loop.snapshot().adminAudit.map((r) => r.outcome)).toMatchObject([
      { status: 'rejected', kind: 'verify-timeout' },
    ])
    await t.loop.stop()
  })

  it('accepts an asynchronous verdict and applies it in publish order', async () => {
    const keys = new FakeAdminKeys()
    const t = makeTestLoop({
      adminVerifier: { verify: async (request) => keys.verify(request) },
    })
    const handle = t.loop.acquireHandle()
    t.loop.start()
    await handle.publish({
      type: 'signed-admin-commit',
      commit: keys.sign(create, t.clock.wallNow()),
    })
    await handle.publish({ type: 'channel-closed', channel: chat })
    await t.clock.advanceAsync(10)
    const view = channelView(t.loop.snapshot(), 'chat')
    // The commit folded first, then the close: the admin set survives, the local open does not.
    expect(view?.desired).toMatchObject({ replicaSetSource: 'admin', openedLocally: false })
    await t.loop.stop()
  })

  it('a verifier that throws rejects the commit instead of breaking the loop', async () => {
    const t = makeTestLoop({
      adminVerifier: {
        verify() {
          throw new Error('key store unavailable')
        },
      },
    })
    const snapshot = await afterTick(t, signed(t, create))
    expect(snapshot.adminAudit[0]?.outcome).toMatchObject({
      status: 'rejected',
      kind: 'verifier-error',
    })
    expect(t.loop.running).toBe(true)
  })

  it('only an explicit ok accepts: a malformed verdict rejects', async () => {
    const t = makeTestLoop({ adminVerifier: { verify: () => ({ ok: 'yes' }) as never } })
    const snapshot = await afterTick(t, signed(t, create))
    expect(snapshot.adminAudit[0]?.outcome).toMatchObject({
      status: 'rejected',
      kind: 'verifier-error',
    })
    expect(snapshot.channels).toEqual([])
  })

  it('unsigned local commands are rejected unless the loop trusts local admin', async () => {
    const strict = makeTestLoop()
    const strictSnapshot = await afterTick(strict, { type: 'admin-command', command: create })
    expect(strictSnapshot.adminAudit[0]?.outcome).toMatchObject({
      status: 'rejected',
      kind: 'unsigned',
    })
    expect(strictSnapshot.channels).toEqual([])
    const trusting = makeTestLoop({ config: { trustLocalAdmin: true } })
    const trustedSnapshot = await afterTick(trusting, { type: 'admin-command', command: create })
    expect(trustedSnapshot.adminAudit[0]?.outcome).toEqual({ status: 'unverified' })
    expect(channelView(trustedSnapshot, 'chat')).toBeDefined()
  })

  it('audits a malformed command as a summary, never verbatim, and changes nothing', async () => {
    const t = makeTestLoop()
    const bad = { type: 'create-channel', channel: chat, replicaSet: [] } as AdminCommand
    const alien = { type: 'format-disk', payload: () => 1 } as unknown as AdminCommand
    const snapshot = await afterTick(t, signed(t, bad), { type: 'admin-command', command: alien })
    expect(snapshot.adminAudit).toMatchObject([
      {
        command: { type: 'malformed', summary: 'type=create-channel' },
        outcome: {
          status: 'rejected',
          kind: 'invalid-command',
          message: 'replicaSet must not be empty',
        },
      },
      {
        command: { type: 'malformed', summary: 'type=format-disk' },
        outcome: { kind: 'invalid-command' },
      },
    ])
    expect(snapshot.channels).toEqual([])
  })

  it('signs and audits only the known fields of a command', async () => {
    const t = makeTestLoop()
    const padded = { ...create, note: 'not part of the command' } as AdminCommand
    expect(adminCommitSigningPayload(padded, 1, 's')).toEqual(
      adminCommitSigningPayload(create, 1, 's'),
    )
    const snapshot = await afterTick(t, signed(t, padded))
    expect(snapshot.adminAudit[0]?.command).toEqual(create)
  })

  it('numbers audit records monotonically and keeps only the newest auditRingCapacity', async () => {
    const t = makeTestLoop({ config: { auditRingCapacity: 4 } })
    const events = Array.from({ length: 6 }, (_, i) =>
      signed(t, { type: 'drain-peer', peer: peerId(`p${i}`) }),
    )
    const snapshot = await afterTick(t, ...events)
    expect(snapshot.adminAudit.map((r) => r.seq)).toEqual([3, 4, 5, 6])
    // The chain kept all six; only the ring forgot the oldest.
    expect(snapshot.counters.auditChain).toMatchObject({ appended: 6, pending: 0 })
  })

  it('rejects a command that would need a channel slot past maxChannels', async () => {
    const t = makeTestLoop({ config: { maxChannels: 1 } })
    const snapshot = await afterTick(
      t,
      signed(t, create),
      signed(t, { type: 'create-channel', channel: channelId('other'), replicaSet: [SELF] }),
    )
    expect(snapshot.adminAudit.map((r) => r.outcome.status)).toEqual(['accepted', 'rejected'])
    expect(snapshot.adminAudit[1]?.outcome).toMatchObject({ kind: 'channel-cap' })
  })
})
