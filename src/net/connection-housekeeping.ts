/**
 * Closing libp2p connections to a peer that MeshNetwork no longer needs.
 * Both close gracefully under a 1 s deadline, then abort.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import { isRelayed } from './link-kind.js'
import { MESHLOG_PROTOCOL } from './meshlog-protocol.js'

function closeQuickly(connection: Connection): void {
  connection.close({ signal: AbortSignal.timeout(1_000) }).catch((err: unknown) => {
    connection.abort(err instanceof Error ? err : new Error(String(err)))
  })
}

/**
 * The link to `peer` died: whatever connections remain to it are suspect. A
 * reloaded tab leaves a dead WebRTC connection that libp2p still calls open
 * and would reuse — for the next dial and for WebRTC signalling — until its
 * own ping fails. Closing them makes the next dial a fresh one.
 */
export function closeConnectionsTo(node: Pick<Libp2p, 'getConnections'>, peer: string): number {
  let closed = 0
  for (const connection of node.getConnections()) {
    if (connection.remotePeer.toString() !== peer) continue
    closeQuickly(connection)
    closed++
  }
  return closed
}

/**
 * Once a direct link is up, circuits to that peer (left over from WebRTC
 * signalling, or a replaced relayed link) only cost relay capacity. Closes
 * those with no stream open other than our own protocol's.
 */
export function closeIdleCircuitsTo(node: Pick<Libp2p, 'getConnections'>, peer: string): number {
  let closed = 0
  for (const connection of node.getConnections()) {
    if (connection.remotePeer.toString() !== peer || !isRelayed(connection)) continue
    const busy = connection.streams.some(
      (s) => s.protocol !== MESHLOG_PROTOCOL && s.status === 'open',
    )
    if (busy) continue
    closeQuickly(connection)
    closed++
  }
  return closed
}
