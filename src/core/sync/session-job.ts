/**
 * What the sync session actor runs, and what it reports back.
 *
 * An initiator job is a locally driven session for one channel (catch up
 * from a neighbour, bootstrap a new tab, audit a peer); a responder job
 * serves a session a peer opened with us. The work itself is injected as a
 * `SessionRunner`, so the actor holds only policy (gates, limits, deadline,
 * counters) and the network protocol can arrive later without touching it.
 */
import type { MeshlogError, TimeoutError } from '../errors.js'
import type { ChannelId, PeerId } from '../log/ids.js'
import type { TreeHead } from './merkle-hash.js'

export interface InitiatorJob {
  readonly kind: 'initiator'
  readonly channel: ChannelId
  /** The peer to sync with; undefined lets the runner choose one. */
  readonly peer?: PeerId
}

/**
 * `Inbound` is whatever the transport hands over for a session a peer opened
 * (for libp2p, the stream bridged into the worker); the actor never looks
 * inside it.
 */
export interface ResponderJob<Inbound = unknown> {
  readonly kind: 'responder'
  readonly peer: PeerId
  readonly inbound: Inbound
}

export type SessionJob<Inbound = unknown> = InitiatorJob | ResponderJob<Inbound>

/**
 * What a session found: an initiator's view of the peer's log (`caught-up`
 * means it fetched and verified entries), or `served` for a responder.
 */
export type SessionVerdict = 'in-sync' | 'caught-up' | 'remote-behind' | 'diverged' | 'served'

/** What a completed session reports. */
export interface SessionOutcome {
  /** The peer the session ran against (chosen by the runner when the job named none). */
  readonly peer: PeerId
  /** Entries this side verified and appended. */
  readonly entriesReceived: number
  /** Entries this side served to the peer. */
  readonly entriesSent: number
  /** Set by runners that compare logs (the protocol runner). */
  readonly verdict?: SessionVerdict
  /** The head the peer claimed, when the session learned one. */
  readonly remoteHead?: TreeHead
}

export interface SessionRunner<Inbound = unknown> {
  /**
   * Runs one session. `signal` aborts at the session deadline or when the
   * actor stops; a runner should stop promptly, but the actor does not wait
   * for it: the session's slot and gate are released when the signal fires.
   */
  run(job: SessionJob<Inbound>, signal: AbortSignal): Promise<SessionOutcome>
  /** Called by the sync manager as it starts (e.g. to register a protocol handler). */
  start?(): Promise<void>
  /** Called by the sync manager as it stops. */
  stop?(): Promise<void>
}

interface SessionResultFields {
  /** The id `trySubmit` returned for the job. */
  readonly jobId: number
  readonly channel: ChannelId
  /** The outcome's peer, else the job's peer; undefined when neither is known. */
  readonly peer: PeerId | undefined
  /** Clock milliseconds from dispatch to settlement (slot wait included). */
  readonly tookMs: number
}

/**
 * One initiator session's result, delivered to the manager exactly once per
 * accepted initiator job: completed, failed (including the synthetic
 * failures for a busy channel or a stopping actor), or timed out.
 */
export type SyncSessionResult = SessionResultFields &
  (
    | { readonly status: 'ok'; readonly outcome: SessionOutcome }
    | { readonly status: 'error'; readonly error: MeshlogError }
    | { readonly status: 'timeout'; readonly error: TimeoutError }
  )

export type SubmitReceipt =
  | { readonly status: 'queued'; readonly jobId: number }
  | { readonly status: 'mailbox-full' | 'actor-closed' }
