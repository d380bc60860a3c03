// meshlog's page-side API: MeshLog and what it speaks in.
export * from '../core/node/frame-dispatcher.js'
export type { ChannelStatus, PeerNodeStatus, WriteState } from '../core/node/peer-node.js'
export * from '../core/replication/replication-errors.js'
export type { Link, LinkKind } from '../core/transport/link.js'
export { memoryLinkPair } from '../core/transport/memory-link.js'
export type {
  AppendedRange,
  AppendReceipt,
  PendingRange,
  StoredChannel,
  WorkerStatus,
} from '../rpc/worker-api.js'
export { APPEND_MAX_BYTES, APPEND_MAX_ENTRIES } from './append-batch.js'
export type { CallOptions } from './call-deadline.js'
export * from './client-errors.js'
export type { EntriesHandler, LogReset } from './client-subscription.js'
export type { CommittedWriteEvent, PendingWrite, WaitCommittedOptions } from './commit-waiter.js'
export * from './mesh-log.js'
export type * from './mesh-log-events.js'
export type {
  MeshLogOptions,
  OpenChannelOptions,
  ReadRangeOptions,
  SubscribeOptions,
  TabLinkOptions,
  Unsubscribe,
} from './mesh-log-options.js'
export { SlotUnavailableError } from './peer-slot.js'
export type { WatchdogOptions, WatchdogStatus } from './worker-supervisor.js'
