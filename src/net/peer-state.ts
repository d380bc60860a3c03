/** What MeshNetwork tracks per remote peer, and how it shows in the status. */
import type { PeerId } from '../core/log/ids.js'
import type { DirectoryMember } from './directory/directory-messages.js'
import type { PeerStatus } from './mesh-options.js'
import type { StreamLink } from './stream-link.js'

export interface PeerState {
  readonly peer: PeerId
  /** Its directory entry while it is in the room. */
  member: DirectoryMember | undefined
  /** The one link we keep to it. */
  link: StreamLink | undefined
  dialing: boolean
  /** Aborts the dial in flight, when the peer leaves the room. */
  dialAbort: AbortController | undefined
  /** Waiting for a dial slot. */
  queued: boolean
  failures: number
  upgradeFailures: number
  timer: ReturnType<typeof setTimeout> | undefined
  nextAttemptAt: number | undefined
  lastError: string | undefined
}

export function newPeerState(peer: PeerId): PeerState {
  return {
    peer,
    member: undefined,
    link: undefined,
    dialing: false,
    dialAbort: undefined,
    queued: false,
    failures: 0,
    upgradeFailures: 0,
    timer: undefined,
    nextAttemptAt: undefined,
    lastError: undefined,
  }
}

export function peerStatus(state: PeerState): PeerStatus {
  const link = state.link
  return {
    peer: state.peer,
    member: state.member !== undefined,
    ...(link === undefined
      ? {}
      : {
          link: {
            kind: link.kind,
            openedBy: link.initiator,
            openedAt: link.openedAt,
            ...(link.rtt === undefined ? {} : { rtt: link.rtt }),
          },
        }),
    dialing: state.dialing,
    failures: state.failures,
    upgradeFailures: state.upgradeFailures,
    ...(state.nextAttemptAt === undefined ? {} : { nextAttemptAt: state.nextAttemptAt }),
    ...(state.lastError === undefined ? {} : { lastError: state.lastError }),
  }
}
