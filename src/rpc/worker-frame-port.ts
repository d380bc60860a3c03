/**
 * The worker's end of the frame port: which peers have a link right now,
 * frames from them, and `send(peer, frame)` to them. Outgoing frames of one
 * turn are packed into one transferred buffer; a large one goes alone, its
 * own buffer transferred (the frame is the port's once sent).
 */
import { TypedEventTarget } from '../core/events/typed-event-target.js'
import { type PeerId, peerId } from '../core/log/ids.js'
import { DropCounter } from '../core/queue/drop-counter.js'
import type { LinkKind } from '../core/transport/link.js'
import { type AddressedFrame, decodeFrameBatch, encodeFrameBatch } from './frame-batch.js'
import {
  BATCH_FLUSH_BYTES,
  OUTBOUND_WINDOW_BYTES_DEFAULT,
  type PageToWorker,
  transferable,
  type WorkerToPage,
} from './frame-port-protocol.js'

export interface WorkerFramePortEvents {
  frame: { readonly peer: PeerId; readonly frame: Uint8Array }
  'link-up': { readonly peer: PeerId; readonly kind: LinkKind }
  'link-down': { readonly peer: PeerId }
}

export const SEND_REFUSALS = ['no-link', 'window-full', 'closed'] as const
export type SendRefusal = (typeof SEND_REFUSALS)[number]

export class WorkerFramePort extends TypedEventTarget<WorkerFramePortEvents> {
  readonly refusals = new DropCounter(SEND_REFUSALS)
  readonly #port: MessagePort
  readonly #window: number
  readonly #links = new Map<PeerId, LinkKind>()
  readonly #unacked = new Map<PeerId, number>()
  #pending: AddressedFrame[] = []
  #pendingBytes = 0
  #flushScheduled = false
  #closed = false

  constructor(port: MessagePort, options: { outboundWindowBytes?: number } = {}) {
    super()
    this.#port = port
    this.#window = options.outboundWindowBytes ?? OUTBOUND_WINDOW_BYTES_DEFAULT
    port.onmessage = (event: MessageEvent<PageToWorker>) => this.#receive(event.data)
  }

  get links(): ReadonlyMap<PeerId, LinkKind> {
    return this.#links
  }

  /**
   * Queues a frame for `peer`. False — and nothing queued — when there is no
   * link to the peer or its window is full; the caller counts and recovers.
   */
  send(peer: PeerId, frame: Uint8Array): SendRefusal | 'queued' {
    if (this.#closed) return this.#refuse('closed')
    if (!this.#links.has(peer)) return this.#refuse('no-link')
    const unacked = this.#unacked.get(peer) ?? 0
    if (unacked > 0 && unacked + frame.byteLength > this.#window) return this.#refuse('window-full')
    this.#unacked.set(peer, unacked + frame.byteLength)
    if (transferable(frame)) {
      this.flush()
      this.#post({ t: 'frame', peer, frame }, [frame.buffer as ArrayBuffer])
      return 'queued'
    }
    this.#pending.push({ peer, frame })
    this.#pendingBytes += frame.byteLength
    if (this.#pendingBytes >= BATCH_FLUSH_BYTES) this.flush()
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true
      queueMicrotask(() => this.flush())
    }
    return 'queued'
  }

  /** Asks the page to drop its link to `peer`. */
  dropLink(peer: PeerId): void {
    this.#post({ t: 'drop-link', peer })
  }

  flush(): void {
    this.#flushScheduled = false
    if (this.#pending.length === 0 || this.#closed) return
    const buffer = encodeFrameBatch(this.#pending)
    this.#pending = []
    this.#pendingBytes = 0
    this.#post({ t: 'frames', buffer }, [buffer])
  }

  close(): void {
    if (this.#closed) return
    this.flush()
    this.#closed = true
    this.#port.onmessage = null
    this.#port.close()
  }

  #refuse(reason: SendRefusal): SendRefusal {
    this.refusals.record(reason)
    return reason
  }

  #post(message: WorkerToPage, transfer: Transferable[] = []): void {
    if (!this.#closed) this.#port.postMessage(message, transfer)
  }

  #receive(message: PageToWorker): void {
    switch (message.t) {
      case 'link-up': {
        const peer = peerId(message.peer)
        this.#links.set(peer, message.kind)
        this.#unacked.set(peer, 0)
        this.emit('link-up', { peer, kind: message.kind })
        break
      }
      case 'link-down': {
        const peer = peerId(message.peer)
        if (!this.#links.delete(peer)) break
        this.#unacked.delete(peer)
        this.emit('link-down', { peer })
        break
      }
      case 'sent':
        for (const [peer, bytes] of message.bytes) {
          const id = peer as PeerId
          const left = (this.#unacked.get(id) ?? 0) - bytes
          if (this.#unacked.has(id)) this.#unacked.set(id, Math.max(0, left))
        }
        break
      case 'frames': {
        // The page built this batch from link frames; a malformed one is a bug there, not a peer.
        for (const item of decodeFrameBatch(message.buffer)) this.emit('frame', item)
        this.#post({ t: 'received', bytes: message.bytes })
        break
      }
      case 'frame':
        this.emit('frame', { peer: peerId(message.peer), frame: message.frame })
        this.#post({ t: 'received', bytes: message.frame.byteLength })
        break
    }
  }
}
