/**
 * The sync session protocol as a SessionRunner, so the session actor and
 * the sync manager drive it unchanged. The runner routes each session's
 * frames (keyed by peer and session id, so no peer can speak into another's
 * session), opens responder sessions through the actor when a peer asks,
 * refusing beyond `maxResponderSessions`, and owns what every session
 * shares: the fetch budget, the counters and the events.
 *
 * Frames reach it through `receive` (PeerNode's sync hook) and leave
 * through the FrameSink. An initiator job without a peer takes the first
 * candidate that is not avoided.
 */

import type { EntrySignaturePolicy } from '../../crypto/entry-signing.js'
import { ClosedError, InvalidArgumentError } from '../../errors.js'
import { TypedEventTarget } from '../../events/typed-event-target.js'
import type { ChannelId, PeerId } from '../../log/ids.js'
import type { LogStore } from '../../log/log-store.js'
import { type Logger, silentLogger } from '../../logger.js'
import type { FrameSink } from '../../node/frame-sink.js'
import type { Rng } from '../../random/rng.js'
import type { Clock } from '../../time/clock.js'
import { encodeFrame } from '../../wire/frame-codec.js'
import type { SyncWireFrame } from '../../wire/sync-frame-codec.js'
import type { ChannelMerkleIndex } from '../channel-merkle-index.js'
import type { MerkleVerifier } from '../merkle-verifier.js'
import type { SessionJob, SessionOutcome, SessionRunner, SubmitReceipt } from '../session-job.js'
import { FetchBudget } from './fetch-budget.js'
import { runInitiator } from './initiator-session.js'
import {
  NoSyncPeerError,
  PEER_MISBEHAVIOUR_CODES,
  PeerAvoidedError,
  SyncSendFailedError,
} from './protocol-errors.js'
import { type SyncProtocolLimits, syncProtocolLimits } from './protocol-limits.js'
import { type SyncProtocolCounters, SyncProtocolMetrics } from './protocol-metrics.js'
import { runResponder } from './responder-session.js'
import type { SessionContext, SyncProtocolEvents } from './session-context.js'
import { SessionInbox } from './session-inbox.js'
import type { SyncOpen } from './sync-messages.js'

export interface ProtocolSessionRunnerOptions {
  readonly self: PeerId
  readonly store: LogStore
  /** The trees sessions prove against; share it with `verifier`. */
  readonly index: ChannelMerkleIndex
  readonly verifier: MerkleVerifier
  readonly clock: Clock
  readonly rng: Rng
  readonly sink: FrameSink
  readonly logger?: Logger
  readonly limits?: Partial<SyncProtocolLimits>
  /** Peers to try, best first, when a job names none (default: none). */
  readonly candidates?: (channel: ChannelId) => readonly PeerId[]
  /** Peers not to open sessions with (the sync manager's avoided peers). */
  readonly isAvoided?: (peer: PeerId) => boolean
  /** Channels we serve (default: those the store holds). */
  readonly holds?: (channel: ChannelId) => boolean
  /** Who may read a channel from us (default: anyone who asks). */
  readonly mayServe?: (peer: PeerId, channel: ChannelId) => boolean
  /** Checks authors' signatures on fetched entries before they are appended. */
  readonly signatures?: EntrySignaturePolicy
}

/** Hands a peer's opening to the session actor (the sync manager's `acceptInbound`). */
export type AcceptInbound = (peer: PeerId, open: SyncOpen) => SubmitReceipt

interface ResponderSlot {
  readonly inbox: SessionInbox<SyncWireFrame>
  readonly openedAt: number
  started: boolean
}

const sessionKey = (peer: PeerId, sessionId: bigint) => `${peer}\n${sessionId}`

export class ProtocolSessionRunner
  extends TypedEventTarget<SyncProtocolEvents>
  implements SessionRunner<SyncOpen>
{
  readonly self: PeerId
  readonly limits: SyncProtocolLimits
  readonly budget: FetchBudget
  readonly #options: ProtocolSessionRunnerOptions
  readonly #metrics = new SyncProtocolMetrics()
  readonly #context: SessionContext
  readonly #initiators = new Map<string, SessionInbox<SyncWireFrame>>()
  readonly #responders = new Map<string, ResponderSlot>()
  readonly #recent = new Set<string>()
  #accept: AcceptInbound | undefined
  #stopped = false

  constructor(options: ProtocolSessionRunnerOptions) {
    super()
    this.self = options.self
    this.#options = options
    this.limits = syncProtocolLimits(options.limits)
    this.budget = new FetchBudget({
      clock: options.clock,
      bytesPerSecond: this.limits.budgetBytesPerSecond,
      burstBytes: this.limits.budgetBurstBytes,
    })
    this.#context = {
      self: options.self,
      store: options.store,
      index: options.index,
      verifier: options.verifier,
      clock: options.clock,
      logger: options.logger ?? silentLogger,
      limits: this.limits,
      budget: this.budget,
      metrics: this.#metrics,
      events: this,
      send: (peer, frame) => this.#send(peer, frame),
      ...(options.signatures === undefined ? {} : { signatures: options.signatures }),
    }
  }

  /** Where peers' openings go; until bound, they are refused `busy`. */
  bindAcceptor(accept: AcceptInbound): void {
    this.#accept = accept
  }

  async start(): Promise<void> {
    this.#stopped = false
  }

  /** Refuses new openings; running sessions end with the actor's abort. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true
  }

  get activeSessions(): { readonly initiators: number; readonly responders: number } {
    return { initiators: this.#initiators.size, responders: this.#responders.size }
  }

  stats(): SyncProtocolCounters {
    return this.#metrics.snapshot(this.budget.waitedMs)
  }

  run(job: SessionJob<SyncOpen>, signal: AbortSignal): Promise<SessionOutcome> {
    return job.kind === 'initiator'
      ? this.#runInitiator(job.channel, job.peer, signal)
      : this.#runResponder(job.peer, job.inbound, signal)
  }

  /** A decoded sync frame from `from` (transport-authenticated). False when it reached no session. */
  receive(from: PeerId, frame: SyncWireFrame): boolean {
    const key = sessionKey(from, frame.message.sessionId)
    if (frame.kind === 'sync-open') return this.#onOpen(from, key, frame.message)
    const inbox =
      frame.kind === 'sync-fetch'
        ? this.#responders.get(key)?.inbox
        : frame.kind === 'sync-close'
          ? (this.#initiators.get(key) ?? this.#responders.get(key)?.inbox)
          : this.#initiators.get(key)
    if (inbox === undefined) {
      this.#metrics.drops.record(this.#recent.has(key) ? 'late-frame' : 'unknown-session')
      return false
    }
    if (inbox.push(frame)) return true
    this.#metrics.drops.record('inbox-full')
    return false
  }

  async #runInitiator(
    channel: ChannelId,
    named: PeerId | undefined,
    signal: AbortSignal,
  ): Promise<SessionOutcome> {
    const peer = named ?? this.#choosePeer(channel)
    if (peer === this.self) {
      throw new InvalidArgumentError('a node cannot sync with itself', { details: { channel } })
    }
    if (this.#options.isAvoided?.(peer) === true) {
      throw new PeerAvoidedError(`${peer} is avoided after it misbehaved`, peer, {
        details: { channel },
      })
    }
    const sessionId = this.#options.rng.nextU64()
    const key = sessionKey(peer, sessionId)
    const inbox = new SessionInbox<SyncWireFrame>(
      this.limits.sessionInboxCapacity,
      this.#options.clock,
    )
    this.#initiators.set(key, inbox)
    try {
      return await runInitiator(this.#context, channel, { peer, sessionId, inbox, signal })
    } catch (error) {
      this.#onInitiatorFailure(channel, peer, sessionId, error)
      throw error
    } finally {
      this.#initiators.delete(key)
      inbox.close()
      this.#remember(key)
    }
  }

  #choosePeer(channel: ChannelId): PeerId {
    const candidates = this.#options.candidates?.(channel) ?? []
    const peer = candidates.find((p) => p !== this.self && this.#options.isAvoided?.(p) !== true)
    if (peer === undefined) {
      throw new NoSyncPeerError('no peer to sync this channel with', {
        details: { channel, candidates: candidates.length },
      })
    }
    return peer
  }

  #onInitiatorFailure(channel: ChannelId, peer: PeerId, sessionId: bigint, error: unknown): void {
    const code = (error as { code?: unknown }).code
    if (typeof code === 'string' && PEER_MISBEHAVIOUR_CODES.has(code)) {
      const reason = String((error as { details?: { reason?: unknown } }).details?.reason ?? code)
      this.#context.logger.warn('sync peer misbehaved', { channel, peer, code, reason })
      this.emit('peer-misbehaved', { channel, peer, code, reason })
    }
    if (code === 'ERR_SYNC_REFUSED') return
    try {
      this.#send(peer, {
        kind: 'sync-close',
        message: { channelId: channel, sessionId, reason: 'aborted', detail: String(code ?? '') },
      })
    } catch {
      // Best effort: the responder ends on its idle timeout.
    }
  }

  #onOpen(from: PeerId, key: string, open: SyncOpen): boolean {
    const existing = this.#responders.get(key)
    if (existing !== undefined) {
      if (existing.inbox.push({ kind: 'sync-open', message: open })) return true
      this.#metrics.drops.record('inbox-full')
      return false
    }
    if (this.#recent.has(key)) {
      this.#metrics.drops.record('late-frame')
      return false
    }
    if (this.#stopped) return this.#refuse(from, open, 'shutting-down', 'shutting-down')
    this.#forgetUnstartedResponders()
    if (this.#responders.size >= this.limits.maxResponderSessions || this.#accept === undefined) {
      return this.#refuse(from, open, 'busy', 'responder-busy')
    }
    const slot: ResponderSlot = {
      inbox: new SessionInbox(this.limits.sessionInboxCapacity, this.#options.clock),
      openedAt: this.#options.clock.now(),
      started: false,
    }
    this.#responders.set(key, slot)
    const receipt = this.#accept(from, open)
    if (receipt.status === 'queued') return true
    this.#responders.delete(key)
    return this.#refuse(from, open, 'busy', 'responder-busy')
  }

  /** Slots whose job the actor never ran (it stopped, or discarded it) would hold a place forever. */
  #forgetUnstartedResponders(): void {
    const expired = this.#options.clock.now() - this.limits.responderIdleMs
    for (const [key, slot] of this.#responders) {
      if (!slot.started && slot.openedAt <= expired) this.#responders.delete(key)
    }
  }

  #refuse(
    from: PeerId,
    open: SyncOpen,
    reason: 'busy' | 'shutting-down',
    drop: 'responder-busy' | 'shutting-down',
  ): false {
    this.#metrics.drops.record(drop)
    try {
      this.#send(from, {
        kind: 'sync-close',
        message: { channelId: open.channelId, sessionId: open.sessionId, reason, detail: '' },
      })
    } catch {
      // The initiator's request timeout covers a lost refusal.
    }
    return false
  }

  async #runResponder(peer: PeerId, open: SyncOpen, signal: AbortSignal): Promise<SessionOutcome> {
    const key = sessionKey(peer, open.sessionId)
    const slot = this.#responders.get(key)
    if (slot === undefined || slot.started) {
      throw new ClosedError('this responder session was already ended', {
        details: { peer, channel: open.channelId },
      })
    }
    slot.started = true
    const policy = {
      holds:
        this.#options.holds ??
        ((channel: ChannelId) => this.#options.store.channels().includes(channel)),
      mayServe: this.#options.mayServe ?? (() => true),
    }
    try {
      return await runResponder(this.#context, policy, open, {
        peer,
        sessionId: open.sessionId,
        inbox: slot.inbox,
        signal,
      })
    } finally {
      this.#responders.delete(key)
      slot.inbox.close()
      this.#remember(key)
    }
  }

  #remember(key: string): void {
    this.#recent.delete(key)
    this.#recent.add(key)
    for (const oldest of this.#recent) {
      if (this.#recent.size <= this.limits.recentSessions) break
      this.#recent.delete(oldest)
    }
  }

  #send(peer: PeerId, frame: SyncWireFrame): void {
    const result = this.#options.sink.send(peer, encodeFrame(frame))
    if (result !== 'queued') {
      throw new SyncSendFailedError(`could not send ${frame.kind} to ${peer}: ${result}`, peer, {
        details: { kind: frame.kind, reason: result },
      })
    }
  }
}
