/**
 * What the loop folds: facts reported by the rest of the worker (peers,
 * runtimes, storage, executor failures), local intent (channels opened,
 * tab closing) and admin commands. Sources publish them through a handle.
 */

import type { ChannelId, PeerId } from '../log/ids.js'
import type { LogLevel } from '../logger.js'
import type { AdminCommand, SignedAdminCommit } from './admin-commands.js'
import type { PendingAction } from './control-actions.js'

export type RuntimeRole = 'idle' | 'candidate' | 'replica' | 'leader'
export type PeerHealth = 'healthy' | 'degraded' | 'unreachable'

export type ControlEvent =
  /** Exit now; events queued behind it are not applied. */
  | { readonly type: 'shutdown' }
  | { readonly type: 'peer-connected'; readonly peer: PeerId }
  | { readonly type: 'peer-lost'; readonly peer: PeerId }
  | { readonly type: 'rtt-sample'; readonly peer: PeerId; readonly rttMs: number }
  | { readonly type: 'peer-health'; readonly peer: PeerId; readonly health: PeerHealth }
  | { readonly type: 'storage-estimate'; readonly usageBytes: number; readonly quotaBytes: number }
  /** The app opened a channel here; `replicaSet` applies unless an admin set one. */
  | {
      readonly type: 'channel-opened'
      readonly channel: ChannelId
      readonly replicaSet?: readonly PeerId[]
    }
  | { readonly type: 'channel-closed'; readonly channel: ChannelId }
  | { readonly type: 'runtime-started'; readonly channel: ChannelId }
  | { readonly type: 'runtime-stopped'; readonly channel: ChannelId }
  | {
      readonly type: 'role-changed'
      readonly channel: ChannelId
      readonly role: RuntimeRole
      readonly leader?: PeerId
    }
  /** This peer is leaving (tab closing, or local code asked): hand leadership off first. */
  | {
      readonly type: 'drain-requested'
      readonly reason: 'tab-closing' | 'local'
      readonly deadlineMs?: number
    }
  | { readonly type: 'drain-cancelled' }
  /** Unsigned, from in-process code: applied only when the loop trusts local admin. */
  | { readonly type: 'admin-command'; readonly command: AdminCommand }
  | { readonly type: 'signed-admin-commit'; readonly commit: SignedAdminCommit }
  | {
      readonly type: 'log-line'
      readonly level: LogLevel
      readonly message: string
      readonly channel?: ChannelId
    }
  /** The executor could not carry an action out. */
  | { readonly type: 'action-failed'; readonly action: PendingAction; readonly reason: string }

export type ControlEventType = ControlEvent['type']
