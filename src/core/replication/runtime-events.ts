/** The facts a replication runtime announces, one CustomEvent name each. */
import type { ChannelId, PeerId, Seq } from '../log/ids.js'
import type { WriteKey } from '../log/log-store.js'
import type { RoleChange } from './coordinator.js'
import type { DiskPressureOutcome, DiskPressurePolicy } from './disk-pressure.js'

export interface CommittedWrite extends WriteKey {
  readonly seq?: Seq
}

export interface ReplicationRuntimeEvents extends Record<string, unknown> {
  /** The coordinator's role changed (whoever drove it). */
  'role-changed': RoleChange
  /** The peer this replica follows as leader changed (undefined: none). */
  'leader-changed': { readonly leader: PeerId | undefined }
  /** A chunk from the leader moved our tail forward. */
  'catch-up-progress': {
    readonly from: PeerId
    readonly tailSeq: Seq
    readonly appliedEntries: number
  }
  /** Our tail jumped forward over seqs we will never hold. */
  'skip-ahead': {
    readonly from: PeerId
    readonly fromSeq: Seq
    readonly toSeq: Seq
    readonly cause: 'gap-before-chunk' | 'bad-range'
  }
  /**
   * The jump did not start at the leader's retention floor: the logs may
   * have diverged (split brain), not merely been trimmed.
   */
  'divergence-suspected': { readonly from: PeerId; readonly fromSeq: Seq; readonly toSeq: Seq }
  /**
   * Entries [fromSeq, toSeq) of our log were cut: the leader's log does not
   * have them (`diverged`: its chain parts from ours; `beyond-leader`: its
   * log ends before; `replaced`: its entries took their place at once).
   */
  'log-truncated': {
    readonly from: PeerId
    readonly fromSeq: Seq
    readonly toSeq: Seq
    readonly cause: 'diverged' | 'beyond-leader' | 'replaced'
  }
  /** The store ran out of space; the policy was applied. */
  'disk-pressure': {
    readonly policy: DiskPressurePolicy
    readonly action: DiskPressureOutcome['action']
  }
  /** This leader appended local entries. */
  'entries-appended': { readonly channel: ChannelId; readonly firstSeq: Seq; readonly nextSeq: Seq }
  /** Writes went into the durable outbox, to be forwarded to a leader. */
  'writes-pending': { readonly writes: readonly WriteKey[] }
  /**
   * Outbox writes are now in the local log, committed; they left the outbox.
   * `seq` is where each sits, when this peer saw it arrive.
   */
  'writes-committed': { readonly writes: readonly CommittedWrite[] }
  /**
   * Divergence: our log held entries [fromSeq, toSeq) that the leader's log
   * does not; before cutting them they went back into the outbox, to be
   * proposed to the leader (it keeps those it already has out by key).
   */
  'writes-reproposed': { readonly fromSeq: Seq; readonly toSeq: Seq; readonly count: number }
  /** The runtime's loop has ended; `graceful` is false when cancel aborted it. */
  stopped: { readonly graceful: boolean }
}
