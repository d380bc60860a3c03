/**
 * Admin commands: the operator's levers over the mesh. They arrive signed by
 * an admin key (`SignedAdminCommit`), are checked by an injected verifier,
 * pass the freeze gate, land on the audit ring, and only then fold into
 * desired state.
 */
import { type ChannelId, channelId, type PeerId, peerId } from '../log/ids.js'
import { canonicalJsonBytes } from './canonical-json.js'

export type AdminCommand =
  | {
      readonly type: 'create-channel'
      readonly channel: ChannelId
      readonly replicaSet: readonly PeerId[]
    }
  | {
      readonly type: 'set-replica-set'
      readonly channel: ChannelId
      readonly replicaSet: readonly PeerId[]
    }
  | { readonly type: 'retire-channel'; readonly channel: ChannelId }
  /** Rejects every non-emergency command until `unfreeze` or `durationMs` elapses (forever when absent). */
  | { readonly type: 'freeze'; readonly durationMs?: number }
  | { readonly type: 'unfreeze' }
  /** Take `peer` out of leadership; it hands off before leaving. */
  | { readonly type: 'drain-peer'; readonly peer: PeerId; readonly deadlineMs?: number }
  | { readonly type: 'undrain-peer'; readonly peer: PeerId }
  /** Kill switch for a runaway sync session (the seed's KillMigration). */
  | { readonly type: 'abort-sync'; readonly channel: ChannelId; readonly peer?: PeerId }

export type AdminCommandType = AdminCommand['type']

// seed 002: the freeze gate lets emergency commands through, or a frozen mesh could never thaw
const EMERGENCY_COMMANDS: ReadonlySet<AdminCommandType> = new Set([
  'freeze',
  'unfreeze',
  'abort-sync',
])

export function isEmergencyCommand(command: AdminCommand): boolean {
  return EMERGENCY_COMMANDS.has(command.type)
}

export interface SignedAdminCommit {
  readonly command: AdminCommand
  /** The issuer's wall clock when it signed; the verifier judges freshness. */
  readonly issuedAtMs: number
  /** Which admin key signed (its id in the verifier's key set). */
  readonly signer: string
  readonly signature: Uint8Array
}

const SIGNING_DOMAIN = 'meshlog/admin-commit/v1'

/**
 * A fresh copy of a well-formed command holding only its known fields: what
 * is signed, audited and folded, so stray properties can neither change a
 * signature nor leak into a snapshot.
 */
export function normalizeAdminCommand(command: AdminCommand): AdminCommand {
  switch (command.type) {
    case 'create-channel':
    case 'set-replica-set':
      return { type: command.type, channel: command.channel, replicaSet: [...command.replicaSet] }
    case 'retire-channel':
      return { type: command.type, channel: command.channel }
    case 'freeze':
      return command.durationMs === undefined
        ? { type: command.type }
        : { type: command.type, durationMs: command.durationMs }
    case 'unfreeze':
      return { type: command.type }
    case 'drain-peer':
      return command.deadlineMs === undefined
        ? { type: command.type, peer: command.peer }
        : { type: command.type, peer: command.peer, deadlineMs: command.deadlineMs }
    case 'undrain-peer':
      return { type: command.type, peer: command.peer }
    case 'abort-sync':
      return command.peer === undefined
        ? { type: command.type, channel: command.channel }
        : { type: command.type, channel: command.channel, peer: command.peer }
  }
}

/** The exact bytes an admin key signs: domain, signer, issue time and command, canonically encoded. */
export function adminCommitSigningPayload(
  command: AdminCommand,
  issuedAtMs: number,
  signer: string,
): Uint8Array {
  return canonicalJsonBytes({
    domain: SIGNING_DOMAIN,
    command: normalizeAdminCommand(command),
    issuedAtMs,
    signer,
  })
}

export interface AdminCommandLimits {
  readonly maxReplicaSetSize: number
  readonly maxAdminDurationMs: number
}

/**
 * Why `command` cannot be applied, or undefined when it is well formed.
 * Signed commits may come off the wire, so every field is checked here.
 */
export function invalidAdminCommandReason(
  command: AdminCommand,
  limits: AdminCommandLimits,
): string | undefined {
  try {
    switch (command.type) {
      case 'create-channel':
      case 'set-replica-set': {
        channelId(command.channel)
        if (!Array.isArray(command.replicaSet)) return 'replicaSet must be an array'
        if (command.replicaSet.length === 0) return 'replicaSet must not be empty'
        if (command.replicaSet.length > limits.maxReplicaSetSize) {
          return `replicaSet has ${command.replicaSet.length} peers, limit ${limits.maxReplicaSetSize}`
        }
        for (const member of command.replicaSet) peerId(member)
        if (new Set(command.replicaSet).size !== command.replicaSet.length) {
          return 'replicaSet lists a peer twice'
        }
        return undefined
      }
      case 'retire-channel':
        channelId(command.channel)
        return undefined
      case 'freeze':
      case 'drain-peer': {
        const ms = command.type === 'freeze' ? command.durationMs : command.deadlineMs
        if (
          ms !== undefined &&
          !(Number.isSafeInteger(ms) && ms > 0 && ms <= limits.maxAdminDurationMs)
        ) {
          return `duration must be an integer in (0, ${limits.maxAdminDurationMs}] ms`
        }
        if (command.type === 'drain-peer') peerId(command.peer)
        return undefined
      }
      case 'unfreeze':
        return undefined
      case 'undrain-peer':
        peerId(command.peer)
        return undefined
      case 'abort-sync':
        channelId(command.channel)
        if (command.peer !== undefined) peerId(command.peer)
        return undefined
      default:
        return `unknown admin command ${JSON.stringify((command as { type?: unknown }).type)}`
    }
  } catch (error) {
    return error instanceof Error ? error.message : 'malformed admin command'
  }
}
