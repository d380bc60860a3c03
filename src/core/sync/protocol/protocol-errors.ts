/**
 * Typed failures of the sync session protocol. Two of them mean the peer
 * sent something that cannot be true of an honest log (`PEER_MISBEHAVIOUR_CODES`):
 * the sync manager marks that peer and avoids it for a cool-down. The
 * local ones (`LOCAL_FAILURE_CODES`) say nothing about the peer.
 */
import { MeshlogError } from '../../errors.js'
import { PeerSessionError } from '../sync-errors.js'

/** The responder's head does not match its own consistency proof, or its prefix is not the one asked for. */
export class ProofRejectedError extends PeerSessionError {
  override readonly name = 'ProofRejectedError'
  override readonly code = 'ERR_SYNC_PROOF_REJECTED'
}

/**
 * A chunk failed verification (range proof against the claimed root, entry
 * hashes, chaining onto our log) or broke the fetch's rules (another
 * channel, another range, over the caps). `details.reason` says which.
 */
export class ChunkRejectedError extends PeerSessionError {
  override readonly name = 'ChunkRejectedError'
  override readonly code = 'ERR_SYNC_CHUNK_REJECTED'
}

/** The responder closed the session (busy, unknown channel, evicted, ...); `details.reason` says why. */
export class SyncRefusedError extends PeerSessionError {
  override readonly name = 'SyncRefusedError'
  override readonly code = 'ERR_SYNC_REFUSED'
}

/** A request got no answer within its timeout, on every attempt. */
export class SyncRequestTimeoutError extends PeerSessionError {
  override readonly name = 'SyncRequestTimeoutError'
  override readonly code = 'ERR_SYNC_REQUEST_TIMEOUT'
}

/** The transport refused a frame of the session (no link, window full, closed). */
export class SyncSendFailedError extends PeerSessionError {
  override readonly name = 'SyncSendFailedError'
  override readonly code = 'ERR_SYNC_SEND_FAILED'
}

/** The peer is avoided after it misbehaved; no session is opened with it until the cool-down ends. */
export class PeerAvoidedError extends PeerSessionError {
  override readonly name = 'PeerAvoidedError'
  override readonly code = 'ERR_SYNC_PEER_AVOIDED'
}

/** No peer to sync the channel with (none known, or all avoided). */
export class NoSyncPeerError extends MeshlogError {
  override readonly name = 'NoSyncPeerError'
  override readonly code = 'ERR_SYNC_NO_PEER'
}

/** We hold no Merkle tree for the channel (our log does not start at seq 0), so nothing can be verified. */
export class LocalTreeUnavailableError extends MeshlogError {
  override readonly name = 'LocalTreeUnavailableError'
  override readonly code = 'ERR_SYNC_LOCAL_TREE_UNAVAILABLE'
}

export const PEER_MISBEHAVIOUR_CODES: ReadonlySet<string> = new Set([
  'ERR_SYNC_PROOF_REJECTED',
  'ERR_SYNC_CHUNK_REJECTED',
])

export const LOCAL_FAILURE_CODES: ReadonlySet<string> = new Set([
  'ERR_SYNC_PEER_AVOIDED',
  'ERR_SYNC_NO_PEER',
  'ERR_SYNC_LOCAL_TREE_UNAVAILABLE',
  'ERR_STORAGE_FULL',
])
