/**
 * The page's end of the frame port: it owns the links. Frames read from a
 * link go to the worker in batches (a large one alone, transferred: links
 * hand out frames that own their buffers); frames from the worker go to their
 * link, one link's sends never waiting on another's. Reading from links
 * pauses while the worker has `inboundWindowBytes` unacknowledged.
 */
import { TypedEventTarget } from '../core/events/typed-event-target.js'
import type { PeerId } from '../core/log/ids.js'
import type { Link } from '../core/transport/link.js'
import { type AddressedFrame, decodeFrameBatch, encodeFrameBatch } from './frame-batch.js'
import {
  BATCH_FLUSH_BYTES,
  INBOUND_WINDOW_BYTES_DEFAULT,
  type PageToWorker,
  transferable,
  type WorkerToPage,
} from './frame-port-protocol.js'

export interface PageFramePortEvents {
  'link-attached': { readonly link: Link }
  'link-detached': { readonly peer: PeerId }
  /** The worker asked for this link to be dropped. */
  'drop-requested': { readonly peer: PeerId }
}

interface Attached {
  readonly link: Link
  /** Frames from the worker waiting for `link.send`. */
  readonly outbox: Uint8Array[]
  sending: boolean
}

export class PageFramePort extends TypedEventTarget<PageFramePortEvents> {
  readonly #window: number
  #port: MessagePort | undefined
  readonly #links = new Map<PeerId, Attached>()
  #unacked = 0
  #readers: (() => void)[] = []
  #batch: AddressedFrame[] = []
  #batchBytes = 0
  #flushScheduled = false
  #sentBytes = new Map<PeerId, number>()
  #ackScheduled = false

  constructor(options: { inboundWindowBytes?: number } = {}) {
    super()
    this.#window = options.inboundWindowBytes ?? INBOUND_WINDOW_BYTES_DEFAULT
  }

  get links(): ReadonlyMap<PeerId, Link> {
    return new Map([...this.#links].map(([peer, a]) => [peer, a.link]))
  }

  /**
   * Binds to a (new) worker's port. Links stay attached across a worker
   * restart: the new worker is told about each of them.
   */
  connect(port: MessagePort): void {
    this.#port?.close()
    this.#port = port
    this.#unacked = 0
    this.#batch = []
    this.#batchBytes = 0
    port.onmessage = (event: MessageEvent<WorkerToPage>) => this.#receive(event.data)
    for (const { link } of this.#links.values())
      this.#post({ t: 'link-up', peer: link.remotePeer, kind: link.kind })
    this.#wakeReaders()
  }

  /** Stops using the port (the worker died); links stay attached. */
  disconnect(): void {
    if (this.#port !== undefined) this.#port.onmessage = null
    this.#port?.close()
    this.#port = undefined
    for (const attached of this.#links.values()) attached.outbox.length = 0
  }

  /** Adds a link (replacing any link to the same peer) and starts pumping it. */
  attachLink(link: Link): void {
    this.#links.get(link.remotePeer)?.link.close()
    const attached: Attached = { link, outbox: [], sending: false }
    this.#links.set(link.remotePeer, attached)
    this.#post({ t: 'link-up', peer: link.remotePeer, kind: link.kind })
    this.emit('link-attached', { link })
    void this.#pump(attached)
    void link.closed.then(() => this.#detach(attached))
  }

  async #pump(attached: Attached): Promise<void> {
    const { link } = attached
    try {
      for await (const frame of link.frames) {
        this.#unacked += frame.byteLength
        if (transferable(frame) && this.#port !== undefined) {
          this.#flush()
          this.#post({ t: 'frame', peer: link.remotePeer, frame }, [frame.buffer as ArrayBuffer])
        } else {
          this.#batch.push({ peer: link.remotePeer, frame })
          this.#batchBytes += frame.byteLength
          if (this.#batchBytes >= BATCH_FLUSH_BYTES) this.#flush()
          else this.#scheduleFlush()
        }
        while (this.#unacked >= this.#window || this.#port === undefined) {
          await new Promise<void>((resolve) => this.#readers.push(resolve))
          if (this.#links.get(link.remotePeer) !== attached) return
        }
      }
    } catch {
      // The link failed while reading; `closed` settles and detaches it.
    }
    link.close()
  }

  #detach(attached: Attached): void {
    const peer = attached.link.remotePeer
    if (this.#links.get(peer) !== attached) return
    this.#links.delete(peer)
    this.#post({ t: 'link-down', peer })
    this.emit('link-detached', { peer })
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    queueMicrotask(() => this.#flush())
  }

  #flush(): void {
    this.#flushScheduled = false
    if (this.#batch.length === 0 || this.#port === undefined) return
    const buffer = encodeFrameBatch(this.#batch)
    const bytes = this.#batchBytes
    this.#batch = []
    this.#batchBytes = 0
    this.#post({ t: 'frames', buffer, bytes }, [buffer])
  }

  #post(message: PageToWorker, transfer: Transferable[] = []): void {
    this.#port?.postMessage(message, transfer)
  }

  #receive(message: WorkerToPage): void {
    switch (message.t) {
      case 'received':
        this.#unacked = Math.max(0, this.#unacked - message.bytes)
        if (this.#unacked < this.#window) this.#wakeReaders()
        break
      case 'drop-link':
        this.emit('drop-requested', { peer: message.peer as PeerId })
        this.#links.get(message.peer as PeerId)?.link.close()
        break
      case 'frames':
        for (const { peer, frame } of decodeFrameBatch(message.buffer)) this.#toLink(peer, frame)
        break
      case 'frame':
        this.#toLink(message.peer as PeerId, message.frame)
        break
    }
  }

  #toLink(peer: PeerId, frame: Uint8Array): void {
    const attached = this.#links.get(peer)
    // No link any more: the frame is lost, as on any network; acknowledge it all the same.
    if (attached === undefined) this.#acknowledge(peer, frame.byteLength)
    else {
      attached.outbox.push(frame)
      void this.#drainOutbox(attached)
    }
  }

  async #drainOutbox(attached: Attached): Promise<void> {
    if (attached.sending) return
    attached.sending = true
    try {
      for (
        let frame = attached.outbox.shift();
        frame !== undefined;
        frame = attached.outbox.shift()
      ) {
        try {
          await attached.link.send(frame)
        } finally {
          this.#acknowledge(attached.link.remotePeer, frame.byteLength)
        }
      }
    } catch {
      attached.link.close()
    } finally {
      attached.sending = false
    }
  }

  #acknowledge(peer: PeerId, bytes: number): void {
    this.#sentBytes.set(peer, (this.#sentBytes.get(peer) ?? 0) + bytes)
    if (this.#ackScheduled) return
    this.#ackScheduled = true
    queueMicrotask(() => {
      this.#ackScheduled = false
      const bytes = [...this.#sentBytes]
      this.#sentBytes = new Map()
      this.#post({ t: 'sent', bytes })
    })
  }

  #wakeReaders(): void {
    for (const wake of this.#readers.splice(0)) wake()
  }
}
