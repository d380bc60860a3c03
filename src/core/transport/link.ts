/**
 * A link: an ordered, reliable pipe of frames to one remote peer. Every
 * transport plugs in through this one seam — a libp2p stream over WebRTC or a
 * relayed circuit, a WebSocket, a BroadcastChannel between tabs, an in-memory
 * pair in tests. Frames are opaque bytes (the wire codec's frames); a link
 * preserves their boundaries and order.
 */
import type { PeerId } from '../log/ids.js'

export type LinkKind = 'webrtc' | 'relayed' | 'websocket' | 'broadcast-channel' | 'memory'

export interface Link {
  readonly remotePeer: PeerId
  readonly kind: LinkKind
  /**
   * Sends one frame. Resolves once the transport took it (not when the peer
   * has it); waits while the transport's buffer is full, which is the
   * backpressure a sender must respect. Rejects once the link is closed.
   */
  send(frame: Uint8Array): Promise<void>
  /** Frames from the peer, in order; the iteration ends when the link closes. */
  readonly frames: AsyncIterable<Uint8Array>
  /** Closes both directions. Idempotent. */
  close(reason?: Error): void
  /** Settles when the link has closed, for any reason. */
  readonly closed: Promise<void>
}
