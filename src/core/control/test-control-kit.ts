/**
 * Test fixtures for the control loop: a fake admin key set (BLAKE3-keyed
 * "signatures", so tampering is caught like a real signature would be),
 * buffering chain sinks, a capturing logger, and a loop on a ManualClock
 * with the seed's fast test config. Used by tests only.
 */
import { equals } from 'uint8arrays/equals'
import { createJsHasher } from '../log/entry-hasher.js'
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { seededRng } from '../random/rng.js'
import { ManualClock } from '../time/manual-clock.js'
import {
  type AdminCommand,
  adminCommitSigningPayload,
  type SignedAdminCommit,
} from './admin-commands.js'
import type { AdminVerdict, AdminVerifier, AdminVerifyRequest } from './admin-verifier.js'
import type { ControlConfig } from './control-config.js'
import type { ControlEvent } from './control-events.js'
import { ControlLoop } from './control-loop.js'
import type { ControlLoopOptions } from './control-loop-options.js'
import type { ChannelView, ControlSnapshot, PeerView } from './control-snapshot.js'
import type { ChainLink, ChainSink } from './hash-chain.js'

export const hasher = createJsHasher()
const textEncoder = new TextEncoder()

export const SELF: PeerId = peerId('peer-self')

export const ch = (name: string): ChannelId => channelId(name)
export const p = (name: string): PeerId => peerId(name)
/** A channel-opened event, with its replica set when given. */
export const opened = (name: string, replicaSet?: PeerId[]): ControlEvent =>
  replicaSet === undefined
    ? { type: 'channel-opened', channel: ch(name) }
    : { type: 'channel-opened', channel: ch(name), replicaSet }

/** The seed's `fast_test_config`: 10 ms ticks, queues of 64. */
export const FAST_TEST_CONFIG: Partial<ControlConfig> = {
  tickIntervalMs: 10,
  eventQueueCapacity: 64,
  actionQueueCapacity: 64,
}

export class FakeAdminKeys implements AdminVerifier {
  readonly #secrets = new Map<string, Uint8Array>()
  readonly maxAgeMs: number
  verified = 0

  constructor(signers: readonly string[] = ['admin-1'], maxAgeMs = 60_000) {
    for (const signer of signers) this.#secrets.set(signer, textEncoder.encode(`secret:${signer}`))
    this.maxAgeMs = maxAgeMs
  }

  sign(command: AdminCommand, issuedAtMs: number, signer = 'admin-1'): SignedAdminCommit {
    const secret = this.#secrets.get(signer) ?? textEncoder.encode('unknown')
    const payload = adminCommitSigningPayload(command, issuedAtMs, signer)
    return { command, issuedAtMs, signer, signature: hasher.digest(secret, payload) }
  }

  verify(request: AdminVerifyRequest): AdminVerdict {
    this.verified++
    const secret = this.#secrets.get(request.commit.signer)
    if (secret === undefined)
      return { ok: false, kind: 'unknown-signer', message: request.commit.signer }
    if (!equals(hasher.digest(secret, request.payload), request.commit.signature)) {
      return { ok: false, kind: 'bad-signature', message: 'signature does not match' }
    }
    if (Math.abs(request.nowWallMs - request.commit.issuedAtMs) > this.maxAgeMs) {
      return { ok: false, kind: 'stale', message: 'issued too long ago' }
    }
    return { ok: true }
  }
}

export class BufferingSink<R> implements ChainSink<R> {
  readonly links: ChainLink<R>[] = []
  /** Appends to fail before succeeding again. */
  failNext = 0

  append(link: ChainLink<R>): void {
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('test-injected sink failure')
    }
    this.links.push(link)
  }
}

export interface TestLoop {
  readonly loop: ControlLoop
  readonly clock: ManualClock
  readonly keys: FakeAdminKeys
}

export function makeTestLoop(
  options: Partial<Omit<ControlLoopOptions, 'config'>> & { config?: Partial<ControlConfig> } = {},
): TestLoop {
  const clock = options.clock instanceof ManualClock ? options.clock : new ManualClock()
  const keys = new FakeAdminKeys()
  const loop = new ControlLoop({
    thisPeer: SELF,
    clock,
    rng: seededRng(2),
    hasher,
    adminVerifier: keys,
    ...options,
    config: { ...FAST_TEST_CONFIG, ...options.config },
  })
  return { loop, clock, keys }
}

/** Tracks a promise's settlement without awaiting it, so tests can assert "not yet". */
export function track<T>(promise: Promise<T>): {
  readonly settled: boolean
  readonly value: T | undefined
  readonly error: unknown
} {
  const state = { settled: false, value: undefined as T | undefined, error: undefined as unknown }
  promise.then(
    (value) => {
      state.settled = true
      state.value = value
    },
    (error: unknown) => {
      state.settled = true
      state.error = error
    },
  )
  return state
}

export function peerView(snapshot: ControlSnapshot, peer: string): PeerView | undefined {
  return snapshot.peers.find((p) => p.peer === peer)
}

export function channelView(snapshot: ControlSnapshot, channel: string): ChannelView | undefined {
  return snapshot.channels.find((c) => c.channel === channel)
}

/** The peers that currently carry an inventory sample. */
export function inventoryPeers(snapshot: ControlSnapshot): string[] {
  return snapshot.peers.filter((p) => p.inventory !== undefined).map((p) => p.peer)
}

/** Narrows away undefined, failing the test when it is not there. */
export function defined<T>(value: T | undefined, what = 'value'): T {
  if (value === undefined) throw new Error(`expected ${what} to be defined`)
  return value
}
