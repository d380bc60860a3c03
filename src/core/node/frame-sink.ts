/**
 * Where a peer's encoded frames go: the worker's frame port, the simulated
 * network, an in-memory test wire. `send` never waits; it queues the frame
 * or says why it could not.
 */
import type { PeerId } from '../log/ids.js'

export type SinkResult = 'queued' | 'no-link' | 'window-full' | 'closed'

export interface FrameSink {
  send(peer: PeerId, frame: Uint8Array): SinkResult
}
