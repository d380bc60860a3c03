import { describe, expect, it } from 'vitest'
import { channelId, type PeerId, peerId, type Seq } from '../../log/ids.js'
import { type SyncCluster, syncCluster } from '../../node/sync-cluster.js'
import { decodeFrame, encodeFrame } from '../../wire/frame-codec.js'
import type { EpochRotationEvents } from './epoch-rotation.js'

const CH = channelId('membership')
const [C, P1, P2, P3] = ['coord', 'p1', 'p2', 'p3'].map((p) => peerId(p)) as [
  PeerId,
  PeerId,
  PeerId,
  PeerId,
]
const ALL = [C, P1, P2, P3]
const INITIAL = [C, P1, P2]
const EPOCHS = { deadlineMs: 2_000, participantDeadlineMs: 3_000, resendMs: 200 }

async function cluster(): Promise<SyncCluster> {
  const c = await syncCluster({ peers: ALL, options: () => ({ epochs: EPOCHS }) })
  for (const peer of INITIAL) await c.node(peer).open(CH, { replicaSet: INITIAL })
  return c
}

function record(c: SyncCluster) {
  const aborted: (EpochRotationEvents['epoch-aborted'] & { peer: PeerId })[] = []
  const committed: (EpochRotationEvents['epoch-committed'] & { peer: PeerId })[] = []
  for (const peer of ALL) {
    c.node(peer).epochs.on('epoch-aborted', (e) => aborted.push({ peer, ...e.detail }))
    c.node(peer).epochs.on('epoch-committed', (e) => committed.push({ peer, ...e.detail }))
  }
  return { aborted, committed }
}

const replicaSetOf = (c: SyncCluster, peer: PeerId) =>
  c
    .node(peer)
    .node.status()
    .channels.find((s) => s.channel === CH)?.replicaSet

/** Nothing changed anywhere and nothing is left running: the clean abort. */
function expectUnchanged(c: SyncCluster): void {
  for (const peer of INITIAL) {
    expect(c.node(peer).epochs.current(CH), peer).toEqual({ epoch: 0, replicaSet: INITIAL })
    expect(replicaSetOf(c, peer), peer).toEqual(INITIAL)
  }
  expect(c.node(P3).epochs.current(CH)).toBeUndefined()
  expect(c.node(P3).node.channels).toEqual([])
  for (const peer of ALL) {
    expect(c.node(peer).epochs.running, peer).toEqual({ coordinating: 0, participating: 0 })
  }
}

describe('seed 003 choreography with N participants: propose, confirm, commit', () => {
  it('adds a member: three participants confirm, the new set takes effect on every peer, replication reaches the newcomer', async () => {
    const c = await cluster()
    const { committed } = record(c)
    const next = [C, P1, P2, P3]
    const result = await c.until(c.node(C).rotate(CH, next))
    expect(result).toMatchObject({ channel: CH, epoch: 1, replicaSet: next, role: 'coordinator' })
    await c.clock.advanceAsync(20)
    expect(committed.map((e) => `${e.peer}:${e.role}`).sort()).toEqual(
      [`${C}:coordinator`, `${P1}:participant`, `${P2}:participant`, `${P3}:participant`].sort(),
    )
    for (const peer of ALL) {
      expect(c.node(peer).epochs.current(CH), peer).toEqual({ epoch: 1, replicaSet: next })
      expect(replicaSetOf(c, peer), peer).toEqual(next)
    }
    // The runtimes now admit the newcomer: the leader's appends reach it.
    let leader: PeerId | undefined
    for (let i = 0; i < 60 && leader === undefined; i++) {
      await c.clock.advanceAsync(100)
      leader = ALL.find((p) => c.node(p).node.runtime(CH)?.role === 'leader')
    }
    expect(leader).toBeDefined()
    await c.node(leader as PeerId).node.append(CH, [Uint8Array.of(1), Uint8Array.of(2)])
    for (let i = 0; i < 20 && c.store(P3).state(CH).nextSeq < 2; i++) await c.clock.advanceAsync(50)
    expect((await c.store(P3).read(CH, 0 as Seq)).map((e) => e.payload[0])).toEqual([1, 2])
    await c.stop()
  })

  it('drops a member: it is told of the commit and stops replicating the channel', async () => {
    const c = await cluster()
    await c.until(c.node(C).rotate(CH, [C, P1]))
    await c.clock.advanceAsync(20)
    expect(c.node(P2).epochs.current(CH)).toEqual({ epoch: 1, replicaSet: [C, P1] })
    expect(c.node(P2).node.channels).toEqual([])
    expect(replicaSetOf(c, P1)).toEqual([C, P1])
    await c.stop()
  })

  it('a lost commit is recovered: the participant repeats its confirmation and gets the commit again', async () => {
    const c = await cluster()
    let dropped = 0
    c.dropFrom(C, (to, frame) => {
      if (to !== P1 || frame.kind !== 'epoch-commit' || dropped > 0) return false
      dropped++
      return true
    })
    await c.until(c.node(C).rotate(CH, [C, P1, P2]))
    expect(c.node(P1).epochs.current(CH)?.epoch).toBe(0)
    for (let i = 0; i < 100 && c.node(P1).epochs.current(CH)?.epoch !== 1; i++)
      await c.clock.advanceAsync(10)
    expect(dropped).toBe(1)
    expect(c.node(P1).epochs.current(CH)).toEqual({ epoch: 1, replicaSet: [C, P1, P2] })
    await c.stop()
  })
})

describe('a participant that gave up before the commit reached it still converges', () => {
  it('its abort is answered with the commit, which it applies as the rotation it confirmed', async () => {
    const c = await cluster()
    const { aborted, committed } = record(c)
    let p1GaveUp = false
    c.node(P1).epochs.on('epoch-aborted', () => {
      p1GaveUp = true
    })
    // Every commit to P1 is lost until P1's own deadline passes.
    c.dropFrom(C, (to, frame) => to === P1 && frame.kind === 'epoch-commit' && !p1GaveUp)
    await c.until(c.node(C).rotate(CH, [C, P1, P2]))
    for (let i = 0; i < 80 && c.node(P1).epochs.current(CH)?.epoch !== 1; i++) {
      await c.clock.advanceAsync(50)
    }
    expect(aborted).toMatchObject([{ peer: P1, code: 'ERR_EPOCH_TIMED_OUT' }])
    expect(committed.find((e) => e.peer === P1)).toMatchObject({ role: 'observer', epoch: 1 })
    expect(c.node(P1).epochs.current(CH)).toEqual({ epoch: 1, replicaSet: [C, P1, P2] })
    await c.stop()
  })
})

describe('no commit unless every participant confirmed: every failure is a clean, typed abort', () => {
  it('a crashed participant: the coordinator times out, the others abort, nothing changes anywhere', async () => {
    const c = await cluster()
    const { aborted, committed } = record(c)
    c.net.crash(P2)
    const rotation = c.node(C).rotate(CH, [C, P1, P2, P3])
    await expect(c.until(rotation)).rejects.toMatchObject({
      name: 'EpochTimedOutError',
      code: 'ERR_EPOCH_TIMED_OUT',
      role: 'coordinator',
      details: { missing: [P2] },
    })
    await c.clock.advanceAsync(20)
    expect(committed).toEqual([])
    expect(aborted.map((e) => `${e.peer}:${e.role}:${e.code}`).sort()).toEqual([
      `${C}:coordinator:ERR_EPOCH_TIMED_OUT`,
      `${P1}:participant:ERR_EPOCH_ABORTED`,
      `${P3}:participant:ERR_EPOCH_ABORTED`,
    ])
    c.net.attach(P2, (from, bytes) => c.node(P2).receive(from, bytes))
    expectUnchanged(c)
    await c.stop()
  })

  it('the coordinator crashes after the proposal: participants give up at their own deadline', async () => {
    const c = await cluster()
    const { aborted } = record(c)
    c.dropFrom(P1, (_to, frame) => frame.kind === 'epoch-confirm')
    void c
      .node(C)
      .rotate(CH, [C, P1, P2])
      .catch(() => {})
    await c.clock.advanceAsync(20)
    c.net.crash(C)
    for (let i = 0; i < 70; i++) await c.clock.advanceAsync(50)
    expect(
      aborted
        .filter((e) => e.peer !== C)
        .map((e) => `${e.peer}:${e.code}`)
        .sort(),
    ).toEqual([`${P1}:ERR_EPOCH_TIMED_OUT`, `${P2}:ERR_EPOCH_TIMED_OUT`])
    for (const peer of [P1, P2]) expect(c.node(peer).epochs.current(CH)?.epoch).toBe(0)
    await c.stop()
  })

  it('cancel through an AbortSignal, or by a participant, aborts everywhere', async () => {
    const c = await cluster()
    const { aborted } = record(c)
    c.net.partition([[C, P1, P3], [P2]])
    const abort = new AbortController()
    const rotation = c.node(C).rotate(CH, [C, P1, P2], { signal: abort.signal })
    await c.clock.advanceAsync(50)
    abort.abort()
    await expect(c.until(rotation)).rejects.toMatchObject({
      code: 'ERR_EPOCH_CANCELLED',
      role: 'coordinator',
    })
    await c.clock.advanceAsync(20)
    expect(aborted.find((e) => e.peer === P1)).toMatchObject({ code: 'ERR_EPOCH_ABORTED' })

    const second = c.node(C).rotate(CH, [C, P1, P2])
    await c.clock.advanceAsync(50)
    expect(c.node(P1).epochs.cancel(CH)).toBe(true)
    await expect(c.until(second)).rejects.toMatchObject({
      code: 'ERR_EPOCH_ABORTED',
      details: { from: P1, reason: 'cancelled' },
    })
    c.net.heal()
    await c.clock.advanceAsync(20)
    expectUnchanged(c)
    await c.stop()
  })

  it('stuck: the transport refuses every proposal to a participant', async () => {
    const c = await cluster()
    c.cutLink(C, P2)
    await expect(c.until(c.node(C).rotate(CH, [C, P1, P2]))).rejects.toMatchObject({
      code: 'ERR_EPOCH_STUCK',
      details: { unreachable: P2 },
    })
    // Three refusals: the first proposal and two resends, well before the deadline.
    expect(c.clock.now()).toBeLessThan(1_000 + EPOCHS.deadlineMs)
    await c.clock.advanceAsync(20)
    expectUnchanged(c)
    await c.stop()
  })

  it('a participant at a later epoch refuses; a confirmation of another epoch is a decode failure', async () => {
    const c = await cluster()
    c.node(P1).epochs.setCurrent(CH, { epoch: 5, replicaSet: INITIAL })
    await expect(c.until(c.node(C).rotate(CH, [C, P1, P2]))).rejects.toMatchObject({
      code: 'ERR_EPOCH_ABORTED',
      details: { reason: 'stale-epoch' },
    })
    expect(c.node(P1).epochs.refusals.snapshot()).toMatchObject({ 'stale-epoch': 1, total: 1 })

    // A participant that answers with the wrong epoch.
    const liar = peerId('liar')
    c.net.attach(liar, (from, bytes) => {
      const frame = decodeFrame(bytes)
      if (frame.kind !== 'epoch-propose') return
      const { channelId, rotationId, epoch } = frame.message
      const confirm = { channelId, rotationId, epoch: epoch + 1 }
      c.net.send(liar, from, encodeFrame({ kind: 'epoch-confirm', message: confirm }))
    })
    await expect(
      c.until(c.node(C).rotate(CH, [C, liar], { participants: [liar] })),
    ).rejects.toMatchObject({
      name: 'EpochDecodeError',
      code: 'ERR_EPOCH_DECODE',
      details: { what: 'confirmation' },
    })
    expect(c.node(C).epochs.current(CH)?.epoch).toBe(0)
    await c.stop()
  })

  it('one rotation per channel at a time; stop cancels what runs', async () => {
    const c = await cluster()
    c.net.partition([
      [C, P1],
      [P2, P3],
    ])
    const first = c.node(C).rotate(CH, [C, P1, P2])
    await expect(c.node(C).rotate(CH, [C, P1])).rejects.toMatchObject({ code: 'ERR_EPOCH_BUSY' })
    const stopping = c.node(C).epochs.stop()
    await expect(first).rejects.toMatchObject({ code: 'ERR_EPOCH_CANCELLED' })
    await stopping
    await expect(c.node(C).rotate(CH, [C, P1])).rejects.toMatchObject({ code: 'ERR_CLOSED' })
    await c.stop()
  })
})
