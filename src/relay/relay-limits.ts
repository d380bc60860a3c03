/**
 * How much the relay gives each peer. The circuit-relay-v2 server (4.2) is
 * built for a public swarm, where relaying is a last resort: at most 15
 * reservations, a 2 h reservation TTL, and per relayed connection a 2 min
 * duration and 128 KiB data limit. A meshlog relay introduces every tab of a
 * mesh (WebRTC signalling runs over circuits) and carries replication
 * traffic when WebRTC fails, so we raise them — and keep every one bounded:
 * a relayed link that hits a limit is reset, and the mesh redials (trying
 * WebRTC first again).
 *
 * Units quirk (seen on this machine, circuit-relay-v2 4.2.13): the server
 * reads `defaultDurationLimit` as milliseconds (`AbortSignal.timeout`) but
 * sends the same number in the `Limit.duration` field, which clients read as
 * seconds. So the limit enforced is ours, in ms; a client's
 * `connection.limits.seconds` shows a value 1000× too long. Never trust it
 * for planning; we pass ms and document it.
 */
import { describeValue, InvalidArgumentError } from '../core/errors.js'

export interface RelayLimits {
  /** Peers holding a reservation at once (library default 15). */
  readonly maxReservations: number
  /** Reservation lifetime in ms; clients refresh before it ends (library default 2 h). */
  readonly reservationTtlMs: number
  /** Lifetime of one relayed connection, in ms (library default 2 min). */
  readonly relayedConnectionDurationMs: number
  /** Bytes one relayed connection may carry, both ways (library default 128 KiB). */
  readonly relayedConnectionDataBytes: bigint
  /** Open connections the relay keeps (libp2p default 300 in Node). */
  readonly maxConnections: number
  /** New inbound connections per second from one host (libp2p default 5). */
  readonly inboundConnectionsPerSecondPerHost: number
  /** Inbound connections being upgraded at once (libp2p default 10). */
  readonly maxIncomingPendingConnections: number
  /** Rooms the directory holds. */
  readonly maxRooms: number
  /** Members of one room. */
  readonly maxMembersPerRoom: number
  /** Largest directory message, in bytes. */
  readonly maxDirectoryMessageBytes: number
  /** How long a directory client has to send its `join`. */
  readonly directoryJoinTimeoutMs: number
  /** Directory messages queued for one slow member before it is dropped. */
  readonly maxQueuedDirectoryMessages: number
}

/** The circuit-relay-v2 4.2 / libp2p 3 defaults, for comparison and docs. */
export const LIBRARY_DEFAULT_LIMITS = {
  maxReservations: 15,
  reservationTtlMs: 2 * 60 * 60_000,
  relayedConnectionDurationMs: 2 * 60_000,
  relayedConnectionDataBytes: 1n << 17n,
  maxConnections: 300,
  inboundConnectionsPerSecondPerHost: 5,
  maxIncomingPendingConnections: 10,
} as const

export const DEFAULT_RELAY_LIMITS: RelayLimits = {
  maxReservations: 256,
  reservationTtlMs: 2 * 60 * 60_000,
  relayedConnectionDurationMs: 15 * 60_000,
  relayedConnectionDataBytes: 128n << 20n,
  maxConnections: 512,
  // Every tab behind one NAT (or every test page on 127.0.0.1) is one host.
  inboundConnectionsPerSecondPerHost: 50,
  maxIncomingPendingConnections: 64,
  maxRooms: 64,
  maxMembersPerRoom: 64,
  maxDirectoryMessageBytes: 8 << 10,
  directoryJoinTimeoutMs: 10_000,
  maxQueuedDirectoryMessages: 256,
}

function positive(name: string, value: number | bigint): void {
  const ok =
    typeof value === 'bigint'
      ? value > 0n
      : Number.isSafeInteger(value) && value > 0 && Number.isFinite(value)
  if (!ok) {
    throw new InvalidArgumentError(`relay limit ${name} must be a positive integer`, {
      details: { [name]: describeValue(value) },
    })
  }
}

/** Our defaults with `overrides` applied; every limit must stay positive (bounded). */
export function relayLimits(overrides: Partial<RelayLimits> = {}): RelayLimits {
  const limits: RelayLimits = { ...DEFAULT_RELAY_LIMITS, ...overrides }
  for (const [name, value] of Object.entries(limits) as [string, number | bigint][]) {
    positive(name, value)
  }
  return limits
}
