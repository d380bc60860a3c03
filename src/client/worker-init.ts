/**
 * What a MeshLog's replication worker is started with: the slot's
 * databases, its identity and signing key, the heartbeat and the tab links.
 * The worker supervisor hands the same init to every worker it restarts.
 */
import type { PeerId } from '../core/log/ids.js'
import type { WorkerInit } from '../rpc/worker-api.js'
import { type ResolvedMeshLogOptions, slotNames } from './mesh-log-options.js'

export function spawnReplicationWorker(): Worker {
  return new Worker(new URL('../../workers/replication.worker.js', import.meta.url), {
    type: 'module',
  })
}

/** The database holding the slot's libp2p key: the mesh's own choice, else the namespace's. */
export function keyDatabaseOf(options: ResolvedMeshLogOptions, slot: number): string {
  return options.mesh?.keyDatabase ?? slotNames(options.namespace, slot).keyDatabaseName
}

/** `self` is the page's libp2p peer id when it runs one, else the `peerId` option if any. */
export function workerInitOf(
  options: ResolvedMeshLogOptions,
  slot: number,
  self: PeerId | undefined,
): WorkerInit {
  const names = slotNames(options.namespace, slot)
  return {
    databaseName: names.databaseName,
    identityDatabaseName: names.identityDatabaseName,
    slotName: names.slotName,
    ...(self === undefined ? {} : { peerId: self }),
    ...(options.signEntries
      ? {
          signing: {
            keyDatabaseName: keyDatabaseOf(options, slot),
            groupSize: options.signatureGroupSize,
          },
        }
      : {}),
    ...(options.heartbeatMs === undefined ? {} : { heartbeatMs: options.heartbeatMs }),
    ...(options.tabLinks === undefined
      ? {}
      : { tabLinks: { ...options.tabLinks, channelName: names.tabChannelName } }),
  }
}
