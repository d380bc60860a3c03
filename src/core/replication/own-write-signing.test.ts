/**
 * A signing runtime signs its own writes before they enter its loop: the
 * loop keeps serving heartbeats and frames while an append is signed, and
 * the authorSeqs reserved for it stay dense and in order, failures too.
 */
import { describe, expect, it } from 'vitest'
import { checkSignatures, type EntrySigner } from '../crypto/entry-signing.js'
import { NobleEd25519Verifier } from '../crypto/noble-ed25519.js'
import { testAuthor } from '../crypto/test-authors.js'
import type { ChannelId, Seq } from '../log/ids.js'
import { MemoryLogStore } from '../log/memory-log-store.js'
import {
  CHANNEL,
  type Kit,
  makeKit,
  N20,
  promote,
  runtimeFor,
  settle,
} from './replication-test-kit.js'

const alice = testAuthor(21)
const HEARTBEAT_MS = 100
const bytesOf = (...values: number[]) => values.map((v) => Uint8Array.of(v))

/** Alice's signer, whose calls wait until the test lets them go (or fail them). */
class GatedSigner implements EntrySigner {
  readonly author = alice.author
  readonly calls: { release: () => void; fail: (error: Error) => void }[] = []

  sign(messages: readonly Uint8Array[]): Promise<Uint8Array[]> {
    return new Promise((resolve, reject) => {
      this.calls.push({
        release: () => void alice.signer.sign(messages).then(resolve, reject),
        fail: reject,
      })
    })
  }
}

async function leadingKit(): Promise<Kit> {
  const kit = await makeKit({ tail: 0 })
  await promote(kit.coordinator, 'leader')
  return kit
}

const leaderRuntime = (kit: Kit, signer: EntrySigner) =>
  runtimeFor(kit, {
    self: alice.author,
    replicaSet: [alice.author, N20],
    heartbeatMs: HEARTBEAT_MS,
    signer,
  })

async function untilSigning(kit: Kit, signer: GatedSigner, calls: number): Promise<void> {
  for (let i = 0; i < 20 && signer.calls.length < calls; i++) await settle(kit)
  expect(signer.calls).toHaveLength(calls)
}

describe('appends signed before the loop commit in authorSeq order', () => {
  it('commits concurrent appends in the order they were made, each signed by its author', async () => {
    const kit = await leadingKit()
    const runtime = leaderRuntime(kit, alice.signer)
    const outcomes = await Promise.all([
      runtime.append(bytesOf(1, 2, 3)),
      runtime.append(bytesOf(4)),
      runtime.append(bytesOf(5, 6)),
    ])
    expect(outcomes).toEqual([
      { firstSeq: 0, nextSeq: 3 },
      { firstSeq: 3, nextSeq: 4 },
      { firstSeq: 4, nextSeq: 6 },
    ])
    const entries = await kit.store.read(CHANNEL, 0 as Seq)
    expect(entries.map((e) => [e.authorSeq, e.payload[0]])).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
      [4, 5],
      [5, 6],
    ])
    const policy = { verifier: new NobleEd25519Verifier(), required: true }
    await checkSignatures(policy, kit.hasher, CHANNEL, entries)
    expect(runtime.metrics().ownWritesResignedTotal).toBe(0)
    await runtime.cancel()
  })
})

describe('the loop serves heartbeats while an append is signed', () => {
  it('sends a heartbeat that falls due while the signer is still signing', async () => {
    const kit = await leadingKit()
    const signer = new GatedSigner()
    const runtime = leaderRuntime(kit, signer)
    const appended = runtime.append(bytesOf(1, 2))
    await untilSigning(kit, signer, 1)

    const before = kit.dispatcher.heartbeats.length
    await kit.clock.advanceAsync(HEARTBEAT_MS)
    expect(kit.dispatcher.heartbeats.length).toBeGreaterThan(before)
    expect(kit.store.state(CHANNEL).nextSeq).toBe(0)

    signer.calls[0]?.release()
    expect(await appended).toEqual({ firstSeq: 0, nextSeq: 2 })
    await runtime.cancel()
  })
})

describe('a failed write gives its authorSeqs back', () => {
  it('numbers the next append from where a failed signing began', async () => {
    const kit = await leadingKit()
    const signer = new GatedSigner()
    const runtime = leaderRuntime(kit, signer)
    expect(await leadAppend(kit, signer, runtime.append(bytesOf(1)))).toEqual({
      firstSeq: 0,
      nextSeq: 1,
    })

    const failed = runtime.append(bytesOf(2, 3)).catch((error: Error) => error.message)
    const next = runtime.append(bytesOf(4))
    await untilSigning(kit, signer, 2)
    signer.calls[1]?.fail(new Error('the key is gone'))
    expect(await failed).toBe('the key is gone')
    await untilSigning(kit, signer, 3)
    signer.calls[2]?.release()
    expect(await next).toEqual({ firstSeq: 1, nextSeq: 2 })

    const entries = await kit.store.read(CHANNEL, 0 as Seq)
    expect(entries.map((e) => [e.authorSeq, e.payload[0]])).toEqual([
      [0, 1],
      [1, 4],
    ])
    await runtime.cancel()
  })

  it('renumbers and re-signs, in the loop, writes signed behind one whose commit failed', async () => {
    const kit = await makeKit({ tail: 0 })
    const store = new FailingOnceStore()
    await store.open()
    const failing = { ...kit, store }
    await promote(failing.coordinator, 'leader')
    const signer = new GatedSigner()
    const runtime = leaderRuntime(failing, signer)
    store.failNextAppend = true

    const failed = runtime.append(bytesOf(1, 2)).catch((error: Error) => error.message)
    await untilSigning(failing, signer, 1)
    const behind = runtime.append(bytesOf(3))
    signer.calls[0]?.release()
    await untilSigning(failing, signer, 2)
    // Signed as authorSeq 2 while the first append still held 0 and 1.
    signer.calls[1]?.release()
    expect(await failed).toBe('disk said no')
    // The loop numbers it 0 instead and signs it again.
    await untilSigning(failing, signer, 3)
    signer.calls[2]?.release()
    expect(await behind).toEqual({ firstSeq: 0, nextSeq: 1 })

    const [entry] = await store.read(CHANNEL, 0 as Seq)
    expect([entry?.authorSeq, entry?.payload[0]]).toEqual([0, 3])
    const policy = { verifier: new NobleEd25519Verifier(), required: true }
    await checkSignatures(policy, failing.hasher, CHANNEL, entry === undefined ? [] : [entry])
    expect(runtime.metrics().ownWritesResignedTotal).toBe(1)
    expect(await leadAppend(failing, signer, runtime.append(bytesOf(5)))).toEqual({
      firstSeq: 1,
      nextSeq: 2,
    })
    await runtime.cancel()
  }, 10_000)
})

/** Signs as soon as it is asked, after letting the test see the call. */
async function leadAppend<T>(kit: Kit, signer: GatedSigner, appended: Promise<T>): Promise<T> {
  const calls = signer.calls.length
  await untilSigning(kit, signer, calls + 1)
  signer.calls[calls]?.release()
  return appended
}

/** Refuses one append, once asked to. */
class FailingOnceStore extends MemoryLogStore {
  failNextAppend = false

  override async append(channel: ChannelId, entries: Parameters<MemoryLogStore['append']>[1]) {
    if (this.failNextAppend) {
      this.failNextAppend = false
      throw new Error('disk said no')
    }
    return super.append(channel, entries)
  }
}
