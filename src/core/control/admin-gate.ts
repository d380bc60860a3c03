/**
 * The path every admin command takes, signed or not:
 *   shape check → freeze gate → signature (or local trust) → audit → fold → dispatch.
 * Every attempt lands on the audit ring, accepted or not, so a security
 * review can replay what the peer saw. Rejected commands change nothing else.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import type { Logger } from '../logger.js'
import type { Clock } from '../time/clock.js'
import {
  type AdminCommand,
  adminCommitSigningPayload,
  invalidAdminCommandReason,
  isEmergencyCommand,
  normalizeAdminCommand,
  type SignedAdminCommit,
} from './admin-commands.js'
import type { AdminVerdict, AdminVerifier } from './admin-verifier.js'
import type { ChainedRecordRing } from './chained-record-ring.js'
import type { ControlConfig } from './control-config.js'
import type { ControlState } from './control-state.js'
import type { FailureLog } from './failure-log.js'
import { adminNeedsChannelSlot, applyAdminCommand } from './fold-admin.js'
import { isFrozen } from './freeze-gate.js'

export type AdminOutcome =
  | { readonly status: 'accepted' }
  | { readonly status: 'unverified' }
  | { readonly status: 'rejected'; readonly kind: string; readonly message: string }

/** A command too malformed to keep verbatim is audited as a summary. */
export type AuditedCommand = AdminCommand | { readonly type: 'malformed'; readonly summary: string }

export interface AdminAuditRecord {
  readonly seq: number
  /** Wall clock when this peer judged it. */
  readonly committedAtMs: number
  readonly command: AuditedCommand
  readonly signer?: string
  readonly issuedAtMs?: number
  readonly outcome: AdminOutcome
}

/** The subsystem that aborts sync sessions (the seed's migration aborter). */
export interface SyncAborter {
  abort(channel: ChannelId, peer: PeerId | undefined): void
}

export interface AdminGateDeps {
  readonly state: ControlState
  readonly config: ControlConfig
  readonly clock: Clock
  readonly logger: Logger
  readonly audit: ChainedRecordRing<AdminAuditRecord>
  readonly failures: FailureLog
  readonly verifier: AdminVerifier | undefined
  readonly syncAborter: SyncAborter | undefined
  /** False once the loop is exiting: a verdict that arrives later is not applied. */
  readonly accepting: () => boolean
}

const MAX_SIGNER_LENGTH = 128

function rejected(kind: string, message: string): AdminOutcome {
  return { status: 'rejected', kind, message }
}

function summarize(command: unknown): AuditedCommand {
  const type = (command as { type?: unknown } | null)?.type
  return {
    type: 'malformed',
    summary: `type=${typeof type === 'string' ? type.slice(0, 64) : typeof type}`,
  }
}

function malformedCommitReason(commit: SignedAdminCommit): string | undefined {
  if (typeof commit !== 'object' || commit === null) return 'commit is not an object'
  if (
    typeof commit.signer !== 'string' ||
    commit.signer.length === 0 ||
    commit.signer.length > MAX_SIGNER_LENGTH
  ) {
    return `signer must be a string of 1 to ${MAX_SIGNER_LENGTH} characters`
  }
  if (!(commit.signature instanceof Uint8Array)) return 'signature must be a Uint8Array'
  if (!Number.isSafeInteger(commit.issuedAtMs)) return 'issuedAtMs must be an integer'
  return undefined
}

export class AdminGate {
  readonly #deps: AdminGateDeps
  readonly counts = { accepted: 0, unverified: 0, rejected: 0 }

  constructor(deps: AdminGateDeps) {
    this.#deps = deps
  }

  /** An unsigned command from in-process code. */
  submitLocal(raw: AdminCommand): void {
    const checked = this.#precheck(raw)
    if (!('pass' in checked)) {
      this.#conclude(checked.command, checked.outcome, {})
      return
    }
    const command = checked.pass
    const outcome = this.#deps.config.trustLocalAdmin
      ? ({ status: 'unverified' } as const)
      : rejected('unsigned', 'unsigned admin commands are not trusted on this peer')
    this.#conclude(command, outcome, {})
  }

  /** A signed commit; returns a promise only when the verifier answers asynchronously. */
  submitSigned(commit: SignedAdminCommit): void | Promise<void> {
    const malformed = malformedCommitReason(commit)
    if (malformed !== undefined) {
      this.#conclude(summarize(commit?.command), rejected('malformed-commit', malformed), {})
      return
    }
    const meta = { signer: commit.signer, issuedAtMs: commit.issuedAtMs }
    const checked = this.#precheck(commit.command)
    if (!('pass' in checked)) {
      this.#conclude(checked.command, checked.outcome, meta)
      return
    }
    const command = checked.pass
    const verdict = this.#verify(commit)
    if (verdict instanceof Promise) {
      return verdict.then((outcome) => {
        if (this.#deps.accepting()) this.#conclude(command, outcome, meta)
      })
    }
    this.#conclude(command, verdict, meta)
  }

  /**
   * Shape, freeze and capacity checks. Returns the normalized command to go on
   * with, or the command to audit and the rejection.
   */
  #precheck(
    raw: AdminCommand,
  ): { pass: AdminCommand } | { command: AuditedCommand; outcome: AdminOutcome } {
    const { state, config, clock } = this.#deps
    const invalid = invalidAdminCommandReason(raw, config)
    if (invalid !== undefined)
      return { command: summarize(raw), outcome: rejected('invalid-command', invalid) }
    // The audit ring is frozen into snapshots: keep our own copy, never the publisher's object.
    const command = normalizeAdminCommand(raw)
    // seed 002: while frozen, every non-emergency command is rejected before its signature is checked
    if (isFrozen(state, state.lastTick ?? clock.now()) && !isEmergencyCommand(command)) {
      return {
        command,
        outcome: rejected(
          'freeze-in-effect',
          'admin commands are gated during a freeze; unfreeze first',
        ),
      }
    }
    if (adminNeedsChannelSlot(state, command, config)) {
      return {
        command,
        outcome: rejected('channel-cap', `already tracking ${config.maxChannels} channels`),
      }
    }
    return { pass: command }
  }

  #verify(commit: SignedAdminCommit): AdminOutcome | Promise<AdminOutcome> {
    const { verifier, clock, config } = this.#deps
    if (verifier === undefined) return rejected('no-verifier', 'no admin verifier is installed')
    // Only an explicit { ok: true } accepts; the verifier's words are bounded before they are audited.
    const toOutcome = (verdict: AdminVerdict): AdminOutcome => {
      if (verdict?.ok === true) return { status: 'accepted' }
      const said = verdict as { kind?: unknown; message?: unknown } | undefined
      return rejected(
        String(said?.kind ?? 'verifier-error').slice(0, 64),
        String(said?.message ?? 'malformed verdict').slice(0, config.maxMessageLength),
      )
    }
    const failed = (error: unknown) => rejected('verifier-error', String(error))
    let answer: AdminVerdict | Promise<AdminVerdict>
    try {
      answer = verifier.verify({
        commit,
        payload: adminCommitSigningPayload(commit.command, commit.issuedAtMs, commit.signer),
        nowWallMs: clock.wallNow(),
      })
    } catch (error) {
      return failed(error)
    }
    if (!(answer instanceof Promise)) return toOutcome(answer)
    return new Promise<AdminOutcome>((resolve) => {
      const cancel = clock.setTimer(config.verifyTimeoutMs, () =>
        resolve(rejected('verify-timeout', `no verdict within ${config.verifyTimeoutMs} ms`)),
      )
      answer.then(
        (verdict) => {
          cancel()
          resolve(toOutcome(verdict))
        },
        (error: unknown) => {
          cancel()
          resolve(failed(error))
        },
      )
    })
  }

  #conclude(
    command: AuditedCommand,
    outcome: AdminOutcome,
    meta: { signer?: string; issuedAtMs?: number },
  ): void {
    const { state, config, clock, audit, logger } = this.#deps
    this.counts[outcome.status]++
    audit.append((seq) => ({ seq, committedAtMs: clock.wallNow(), command, ...meta, outcome }))
    if (outcome.status === 'rejected' || command.type === 'malformed') {
      logger.warn('admin command rejected', {
        type: command.type,
        kind: outcome.status === 'rejected' ? outcome.kind : '',
      })
      return
    }
    applyAdminCommand(state, command, config, state.lastTick ?? clock.now())
    // Dispatch after the fold, so the dispatcher observes post-fold state.
    if (command.type === 'abort-sync') this.#dispatchAbort(command.channel, command.peer)
  }

  #dispatchAbort(channel: ChannelId, peer: PeerId | undefined): void {
    const { syncAborter, failures, clock, logger } = this.#deps
    const source = `abort-sync:${channel}`
    if (syncAborter === undefined) {
      failures.record(
        source,
        'no sync aborter installed; abort-sync is audit-only on this peer',
        clock.wallNow(),
      )
      return
    }
    try {
      syncAborter.abort(channel, peer)
    } catch (error) {
      logger.warn('sync aborter failed', { channel, error: String(error) })
      failures.record(source, `sync aborter error: ${String(error)}`, clock.wallNow())
    }
  }
}
