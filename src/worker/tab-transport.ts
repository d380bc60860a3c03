/**
 * Same-origin tabs, linked worker to worker. BroadcastChannel exists in
 * workers and tab links need no RTCPeerConnection, so their frames never
 * cross the page's main thread: only links that need the page (libp2p)
 * go through the frame port. A frame for a peer with a tab link goes to
 * the tab link; every other frame goes to the frame port.
 */

import { TabLinks, type TabLinksOptions } from '../client/tab-links.js'
import type { PeerId } from '../core/log/ids.js'
import type { FrameSink, SinkResult } from '../core/node/frame-sink.js'
import type { Link } from '../core/transport/link.js'

export class TabTransport {
  readonly #tabs: TabLinks
  readonly #receive: (peer: PeerId, frame: Uint8Array) => void

  constructor(
    options: TabLinksOptions,
    receive: (peer: PeerId, frame: Uint8Array) => void,
    onLinkDown: (peer: PeerId) => void = () => undefined,
  ) {
    this.#tabs = new TabLinks(options)
    this.#receive = receive
    this.#tabs.on('link-up', (e) => void this.#pump(e.detail.link))
    this.#tabs.on('link-down', (e) => onLinkDown(e.detail.peer))
  }

  get links(): ReadonlyMap<PeerId, Link> {
    return this.#tabs.links
  }

  start(): void {
    this.#tabs.start()
  }

  /** Says goodbye to the other tabs and closes every tab link. Idempotent. */
  stop(): void {
    this.#tabs.stop()
  }

  /** A sink that prefers tab links and falls back to `other`. */
  sinkBefore(other: FrameSink): FrameSink {
    return {
      send: (peer: PeerId, frame: Uint8Array): SinkResult => {
        const link = this.#tabs.links.get(peer)
        if (link === undefined) return other.send(peer, frame)
        // A tab link posts at once (BroadcastChannel has no backpressure); it rejects only once closed.
        link.send(frame).catch(() => undefined)
        return 'queued'
      },
    }
  }

  async #pump(link: Link): Promise<void> {
    try {
      for await (const frame of link.frames) this.#receive(link.remotePeer, frame)
    } catch {
      // The tab went silent or said goodbye; TabLinks has dropped the link.
    }
  }
}
