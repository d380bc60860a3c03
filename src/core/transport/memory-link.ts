/**
 * Two in-process Links joined back to back: what one sends, the other's
 * `frames` yields. For tests and for wiring components in one realm.
 */
import { ClosedError } from '../errors.js'
import type { PeerId } from '../log/ids.js'
import { FramePipe } from './frame-pipe.js'
import type { Link, LinkKind } from './link.js'

class MemoryLink implements Link {
  readonly kind: LinkKind = 'memory'
  readonly closed: Promise<void>
  #peer: MemoryLink | undefined
  #markClosed!: () => void

  constructor(
    readonly remotePeer: PeerId,
    readonly inbound: FramePipe,
  ) {
    this.closed = new Promise((resolve) => {
      this.#markClosed = resolve
    })
  }

  connect(peer: MemoryLink): void {
    this.#peer = peer
  }

  get frames(): AsyncIterable<Uint8Array> {
    return this.inbound
  }

  async send(frame: Uint8Array): Promise<void> {
    const target = this.#peer?.inbound
    if (target === undefined || this.inbound.isClosed || target.isClosed) {
      throw new ClosedError(`link to ${this.remotePeer} is closed`)
    }
    if (!target.push(frame)) await target.whenWritable()
  }

  close(reason?: Error): void {
    if (this.inbound.isClosed) return
    this.inbound.close(reason)
    this.#markClosed()
    this.#peer?.close(reason)
  }
}

/** A connected pair: `[linkAtA (to B), linkAtB (to A)]`. */
export function memoryLinkPair(a: PeerId, b: PeerId, highWaterMark = 64): [Link, Link] {
  const atA = new MemoryLink(b, new FramePipe(highWaterMark))
  const atB = new MemoryLink(a, new FramePipe(highWaterMark))
  atA.connect(atB)
  atB.connect(atA)
  return [atA, atB]
}
