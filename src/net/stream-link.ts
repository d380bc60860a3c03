/**
 * A `Link` over one libp2p stream of `/meshlog/1.0.0` (bytes: link-codec.ts).
 *
 * Backpressure runs end to end through credit (link-credit.ts), not through
 * the transport: libp2p's WebRTC streams ignore `pause()` (`sendPause` is a
 * no-op), so pausing a slow reader would only fill a local buffer until the
 * stream is reset. Each side grants the other a window of frame bytes and
 * grants more only as its reader takes frames from `frames`; a sender waits
 * (bounded, with a deadline) for credit and for the transport's `drain`. So
 * neither side buffers more than one window plus one frame per link.
 *
 * Liveness: after `keepAliveMs` without hearing from the peer the link
 * pings it, and closes with `TimeoutError` if no pong comes in time.
 */
import type { Connection, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { ClosedError, describeValue, TimeoutError } from '../core/errors.js'
import type { PeerId } from '../core/log/ids.js'
import type { Link, LinkKind } from '../core/transport/link.js'
import { MAX_FRAME_BYTES } from '../core/wire/wire-limits.js'
import { FrameQueue } from './frame-queue.js'
import {
  encodeCredit,
  encodeDataHeader,
  encodePing,
  encodePong,
  type LinkMessage,
  LinkMessageDecoder,
  MAX_CREDIT,
} from './link-codec.js'
import { ReceiveCredit, SendCredit } from './link-credit.js'
import { LinkPinger } from './link-pinger.js'
import { LinkSendQueue } from './link-send-queue.js'
import { FramesAlreadyReadError, FrameTooLargeError, LinkProtocolError } from './net-errors.js'
import {
  DEFAULT_RECEIVE_WINDOW_BYTES,
  integer,
  type LinkStream,
  type SendOptions,
  type StreamLinkInit,
  type StreamLinkStats,
} from './stream-link-options.js'

export type {
  LinkStream,
  SendOptions,
  StreamLinkInit,
  StreamLinkOptions,
  StreamLinkStats,
} from './stream-link-options.js'
export { DEFAULT_RECEIVE_WINDOW_BYTES } from './stream-link-options.js'

type State = 'open' | 'closing' | 'closed'

export class StreamLink implements Link {
  readonly remotePeer: PeerId
  readonly kind: LinkKind
  /** Who opened the stream: the dialling side. */
  readonly initiator: 'local' | 'remote'
  readonly openedAt = Date.now()
  readonly closed: Promise<void>
  readonly frames: AsyncIterable<Uint8Array>

  readonly #stream: LinkStream
  readonly #connection: Pick<Connection, 'rtt' | 'id'> | undefined
  readonly #maxFrameBytes: number
  readonly #closeTimeoutMs: number
  readonly #keepAliveMs: number
  readonly #keepAliveTimeoutMs: number
  readonly #decoder: LinkMessageDecoder
  readonly #inbox = new FrameQueue()
  readonly #receiveCredit: ReceiveCredit
  readonly #sendCredit = new SendCredit()
  readonly #sends: LinkSendQueue
  readonly #pinger: LinkPinger
  #state: State = 'open'
  #closeReason: Error | undefined
  #remoteEnded = false
  #framesTaken = false
  #lastHeardAt = Date.now()
  #resolveClosed: () => void = () => {}
  #wakeReader: (() => void) | undefined
  #creditTimer: ReturnType<typeof setTimeout> | undefined
  #closeTimer: ReturnType<typeof setTimeout> | undefined
  #keepAliveTimer: ReturnType<typeof setInterval> | undefined
  readonly #stats = {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    creditWaits: 0,
    drainWaits: 0,
    framesDroppedOnClose: 0,
    pongsSkipped: 0,
  }

  constructor(init: StreamLinkInit) {
    this.#stream = init.stream
    this.#connection = init.connection
    this.remotePeer = init.remotePeer
    this.kind = init.kind
    this.initiator = init.stream.direction === 'outbound' ? 'local' : 'remote'
    this.#maxFrameBytes = integer('maxFrameBytes', init.maxFrameBytes, MAX_FRAME_BYTES)
    const window = Math.min(
      MAX_CREDIT,
      integer('receiveWindowBytes', init.receiveWindowBytes, DEFAULT_RECEIVE_WINDOW_BYTES),
    )
    this.#receiveCredit = new ReceiveCredit(window)
    this.#closeTimeoutMs = integer('closeTimeoutMs', init.closeTimeoutMs, 5_000)
    this.#keepAliveMs = integer('keepAliveMs', init.keepAliveMs, 10_000, 0)
    this.#keepAliveTimeoutMs = integer('keepAliveTimeoutMs', init.keepAliveTimeoutMs, 10_000)
    // One whole message may sit incomplete in the decoder, plus the chunk that completes it.
    this.#decoder = new LinkMessageDecoder(
      this.#maxFrameBytes,
      this.#maxFrameBytes + window + (1 << 20),
    )
    this.#sends = new LinkSendQueue({
      maxPending: integer('maxPendingSends', init.maxPendingSends, 64),
      timeoutMs: integer('sendTimeoutMs', init.sendTimeoutMs, 30_000),
      failure: () =>
        this.#state === 'open'
          ? undefined
          : this.#closedError('link closed before the frame was sent'),
      ready: (cost) => {
        if (!this.#sendCredit.canSend(cost)) return 'credit'
        return this.#stream.writableNeedsDrain ? 'drain' : 'ready'
      },
      write: (frame) => this.#write(frame),
      onWait: (reason) => {
        if (reason === 'credit') this.#stats.creditWaits++
        else this.#stats.drainWaits++
      },
    })
    this.#pinger = new LinkPinger((nonce) => this.#stream.send(encodePing(nonce)))
    this.closed = new Promise((resolve) => {
      this.#resolveClosed = resolve
    })
    this.frames = {
      [Symbol.asyncIterator]: () => {
        if (this.#framesTaken) {
          throw new FramesAlreadyReadError('a link has one reader; frames was already iterated', {
            details: { remotePeer: this.remotePeer },
          })
        }
        this.#framesTaken = true
        return this.#readFrames()
      },
    }

    this.#stream.addEventListener('message', this.#onMessage)
    this.#stream.addEventListener('remoteCloseWrite', this.#onRemoteCloseWrite)
    this.#stream.addEventListener('close', this.#onClose)
    this.#stream.addEventListener('drain', this.#onDrain)
    if (this.#stream.status !== 'open') {
      this.#finish(new ClosedError('stream was already closed when the link was made'))
      return
    }
    this.#sendControl(encodeCredit(this.#receiveCredit.initialGrant()))
    if (this.#keepAliveMs > 0) {
      this.#keepAliveTimer = setInterval(() => this.#keepAlive(), this.#keepAliveMs)
    }
  }

  /** Why the link closed; undefined while open or after a clean close by either side. */
  get closeReason(): Error | undefined {
    return this.#closeReason
  }

  get isClosed(): boolean {
    return this.#state === 'closed'
  }

  /** Round-trip time in ms: our last ping, else libp2p's connection estimate. */
  get rtt(): number | undefined {
    return this.#pinger.lastRtt ?? this.#connection?.rtt
  }

  get connectionId(): string | undefined {
    return this.#connection?.id
  }

  stats(): StreamLinkStats {
    return { ...this.#stats }
  }

  send(frame: Uint8Array, options: SendOptions = {}): Promise<void> {
    if (this.#state !== 'open') {
      return Promise.reject(this.#closedError('send on a closed link'))
    }
    if (frame.byteLength > this.#maxFrameBytes) {
      return Promise.reject(
        new FrameTooLargeError(
          `frame of ${frame.byteLength} bytes exceeds ${this.#maxFrameBytes}`,
          {
            details: { frame: describeValue(frame), maxFrameBytes: this.#maxFrameBytes },
          },
        ),
      )
    }
    return this.#sends.send(frame, options.signal)
  }

  /** Round trip to the peer in ms; rejects with `TimeoutError` if it does not answer. */
  ping(timeoutMs = this.#keepAliveTimeoutMs): Promise<number> {
    if (this.#state !== 'open') return Promise.reject(this.#closedError('ping on a closed link'))
    return this.#pinger.ping(timeoutMs)
  }

  close(reason?: Error): void {
    if (reason !== undefined) {
      this.#abort(reason)
      return
    }
    if (this.#state !== 'open') return
    this.#stats.framesDroppedOnClose += this.#inbox.length
    this.#inbox.clear()
    this.#beginClosing()
  }

  // --- receiving -----------------------------------------------------------

  readonly #onMessage = (event: StreamMessageEvent): void => {
    if (this.#state === 'closed') return
    this.#lastHeardAt = Date.now()
    let messages: LinkMessage[]
    try {
      messages = this.#decoder.decode(event.data)
    } catch (err) {
      this.#abort(err instanceof Error ? err : new LinkProtocolError(String(err)))
      return
    }
    for (const message of messages) {
      this.#onLinkMessage(message)
      if (this.isClosed) return
    }
  }

  #onLinkMessage(message: LinkMessage): void {
    switch (message.type) {
      case 'data':
        this.#onFrame(message.frame)
        return
      case 'credit':
        if (!this.#sendCredit.grant(message.bytes)) {
          this.#abort(new LinkProtocolError('peer granted more credit than its window'))
          return
        }
        this.#sends.wake()
        return
      case 'ping':
        // A pong is tiny, but a peer flooding pings must not grow our send buffer.
        if (this.#stream.writableNeedsDrain) this.#stats.pongsSkipped++
        else this.#sendControl(encodePong(message.nonce))
        return
      case 'pong':
        this.#pinger.onPong(message.nonce)
        return
    }
  }

  #onFrame(frame: Uint8Array): void {
    const cost = frame.byteLength + 1
    if (!this.#receiveCredit.accept(cost)) {
      this.#abort(
        new LinkProtocolError('peer sent frames past the credit it was granted', {
          details: { cost, window: this.#receiveCredit.window },
        }),
      )
      return
    }
    if (this.#state !== 'open' && !this.#remoteEnded) return // closing locally: drop
    this.#stats.framesReceived++
    this.#stats.bytesReceived += frame.byteLength
    this.#inbox.push(frame)
    this.#wakeReader?.()
  }

  async *#readFrames(): AsyncGenerator<Uint8Array> {
    let finished = false
    try {
      for (;;) {
        const frame = this.#inbox.shift()
        if (frame !== undefined) {
          this.#consumed(frame.byteLength + 1)
          yield frame
          continue
        }
        if (this.#state !== 'open' || this.#remoteEnded) {
          finished = true
          return
        }
        await new Promise<void>((resolve) => {
          this.#wakeReader = resolve
        })
        this.#wakeReader = undefined
      }
    } finally {
      // A reader that stops early stops granting credit: the link is useless, so close it.
      if (!finished) this.close()
    }
  }

  #consumed(cost: number): void {
    if (this.#state !== 'open') return
    this.#receiveCredit.consumed(cost)
    if (this.#receiveCredit.shouldGrantNow) {
      this.#flushCredit()
    } else if (this.#creditTimer === undefined) {
      // Coalesce small grants — on a timer, not "later", so a sender waiting
      // for a whole window before a large frame is always released.
      this.#creditTimer = setTimeout(() => this.#flushCredit(), 0)
    }
  }

  #flushCredit(): void {
    if (this.#creditTimer !== undefined) clearTimeout(this.#creditTimer)
    this.#creditTimer = undefined
    if (this.#state !== 'open' || this.#receiveCredit.pending === 0) return
    this.#sendControl(encodeCredit(this.#receiveCredit.takePending()))
  }

  #sendControl(message: Uint8Array): void {
    try {
      this.#stream.send(message)
    } catch (err) {
      this.#abort(this.#closedError('the stream refused a control message', err))
    }
  }

  #keepAlive(): void {
    if (this.#state !== 'open' || Date.now() - this.#lastHeardAt < this.#keepAliveMs) return
    if (this.#pinger.outstanding > 0) return
    this.#pinger.ping(this.#keepAliveTimeoutMs).catch((err: unknown) => {
      if (err instanceof TimeoutError) this.#abort(err)
    })
  }

  // --- sending -------------------------------------------------------------

  readonly #onDrain = (): void => {
    this.#sends.wake()
  }

  #write(frame: Uint8Array): void {
    try {
      // One send: the transport cuts messages from the pair without a copy
      // here, and never sends the few header bytes as a message of their own.
      this.#stream.send(new Uint8ArrayList(encodeDataHeader(frame.byteLength), frame))
    } catch (err) {
      throw this.#closedError('the stream refused the frame', err)
    }
    this.#sendCredit.spend(frame.byteLength + 1)
    this.#stats.framesSent++
    this.#stats.bytesSent += frame.byteLength
  }

  // --- closing -------------------------------------------------------------

  readonly #onRemoteCloseWrite = (): void => {
    this.#remoteEnded = true
    this.#wakeReader?.()
    if (this.#state === 'open') this.#beginClosing()
  }

  readonly #onClose = (event: StreamCloseEvent): void => {
    this.#finish(event.error)
  }

  /** Stops sending and half-closes; the peer's end of the close finishes it. */
  #beginClosing(): void {
    this.#state = 'closing'
    this.#sends.failAll(this.#closedError('link is closing'))
    this.#pinger.close(this.#closedError('link is closing'))
    this.#wakeReader?.()
    this.#closeTimer = setTimeout(() => {
      this.#abort(new TimeoutError(`peer did not close within ${this.#closeTimeoutMs} ms`))
    }, this.#closeTimeoutMs)
    this.#stream
      .close({ signal: AbortSignal.timeout(this.#closeTimeoutMs) })
      .catch((err: unknown) => {
        this.#abort(this.#closedError('graceful close failed', err))
      })
  }

  #abort(reason: Error): void {
    if (this.#state === 'closed') return
    this.#closeReason ??= reason
    this.#stream.abort(reason)
    this.#finish(reason)
  }

  #finish(error: Error | undefined): void {
    if (this.#state === 'closed') return
    this.#state = 'closed'
    if (error !== undefined) this.#closeReason ??= error
    clearTimeout(this.#closeTimer)
    clearTimeout(this.#creditTimer)
    clearInterval(this.#keepAliveTimer)
    this.#stream.removeEventListener('message', this.#onMessage)
    this.#stream.removeEventListener('remoteCloseWrite', this.#onRemoteCloseWrite)
    this.#stream.removeEventListener('close', this.#onClose)
    this.#stream.removeEventListener('drain', this.#onDrain)
    const closed = this.#closedError('link closed')
    this.#sends.failAll(closed)
    this.#pinger.close(closed)
    this.#wakeReader?.()
    this.#resolveClosed()
  }

  #closedError(message: string, cause?: unknown): ClosedError {
    return new ClosedError(message, {
      cause: cause ?? this.#closeReason,
      details: { remotePeer: this.remotePeer, kind: this.kind },
    })
  }
}
