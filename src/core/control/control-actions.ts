/**
 * What reconcile asks the rest of the worker to do. The loop only emits;
 * an executor drains the action queue and reports failures back as
 * `action-failed` events. Reconcile is level-triggered: an action that is
 * dropped or fails is derived again on a later tick.
 */
import type { ChannelId, PeerId } from '../log/ids.js'

export type DrainReason = 'tab-closing' | 'local' | 'admin'

export type StopReason = 'closed' | 'retired' | 'not-in-replica-set'

export type ControlAction =
  | {
      readonly kind: 'start-runtime'
      readonly channel: ChannelId
      readonly replicaSet: readonly PeerId[]
      readonly replicaSetVersion: number
    }
  | { readonly kind: 'stop-runtime'; readonly channel: ChannelId; readonly reason: StopReason }
  | {
      readonly kind: 'apply-replica-set'
      readonly channel: ChannelId
      readonly replicaSet: readonly PeerId[]
      readonly replicaSetVersion: number
    }
  | { readonly kind: 'dial-peer'; readonly peer: PeerId; readonly attempt: number }
  | { readonly kind: 'start-sync'; readonly channel: ChannelId; readonly peer: PeerId }
  | {
      readonly kind: 'hand-off-leadership'
      readonly channel: ChannelId
      readonly to: PeerId
      readonly reason: 'drain' | 'leaving-replica-set'
    }
  | {
      readonly kind: 'withdraw'
      readonly channel: ChannelId
      readonly reason: 'storage-pressure'
      readonly usageRatio: number
    }
  | { readonly kind: 'rejoin'; readonly channel: ChannelId }
  /** Stop standing for election everywhere; hand-offs for `leading` follow. */
  | {
      readonly kind: 'drain-start'
      readonly reason: DrainReason
      readonly deadline: number
      readonly leading: readonly ChannelId[]
    }
  | {
      readonly kind: 'drain-finish'
      readonly outcome: 'drained' | 'deadline-exceeded'
      readonly stillLeading: readonly ChannelId[]
    }
  /** A drain was cancelled after it was announced: stand for election again. */
  | { readonly kind: 'drain-exit' }

export type ControlActionKind = ControlAction['kind']

export interface PendingAction {
  /** Monotonic per loop, from 1. */
  readonly id: number
  readonly action: ControlAction
  /** The tick (monotonic ms) whose reconcile produced it: replays stamp identically. */
  readonly emittedAt: number
}
