/**
 * A `Link` over one libp2p stream of `/meshlog/1.0.0` (see link-codec.ts).
 *
 * Backpressure runs end to end through credit, not through the transport:
 * libp2p's WebRTC streams ignore `pause()` (their `sendPause` is a no-op), so
 * pausing a slow reader would only fill a local buffer until the stream is
 * reset. Instead each side grants the other a window of frame bytes, and
 * grants more only as its consumer takes frames from `frames`. A sender waits
 * (bounded, with a deadline) for credit and for the transport's `drain`, so
 * neither side buffers more than one window plus one frame per link.
 *
 * Credit rule (both sides check it): a frame costs `byteLength + 1`; it may be
 * sent when the sender's credit is at least `min(cost, window)`. So a frame
 * larger than the whole window still goes, alone, once everything before it
 * was consumed.
 */
import type { Connection, Stream, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { AbortedError, ClosedError, describeValue, InvalidArgumentError } from '../core/errors.js'
import type { PeerId } from '../core/log/ids.js'
import type { Link, LinkKind } from '../core/transport/link.js'
import { MAX_FRAME_BYTES } from '../core/wire/wire-limits.js'
import { deadlineSignal, typedFailure } from './deadline.js'
import { FrameQueue } from './frame-queue.js'
import { encodeCredit, encodeDataHeader, LinkMessageDecoder, MAX_CREDIT } from './link-codec.js'
import {
  FramesAlreadyReadError,
  FrameTooLargeError,
  LinkProtocolError,
  SendQueueFullError,
} from './net-errors.js'

export interface StreamLinkOptions {
  /** Largest frame either way. Default: the wire codec's `MAX_FRAME_BYTES`. */
  readonly maxFrameBytes?: number
  /** Frame bytes the peer may send before we grant more. Default 2 MiB. */
  readonly receiveWindowBytes?: number
  /** `send()` calls that may wait at once; more throw `SendQueueFullError`. Default 64. */
  readonly maxPendingSends?: number
  /** Deadline of one `send()`, queueing included. Default 30 s. */
  readonly sendTimeoutMs?: number
  /** How long a graceful `close()` waits for the peer before aborting. Default 5 s. */
  readonly closeTimeoutMs?: number
}

/** The parts of a libp2p stream a link uses. */
export type LinkStream = Pick<
  Stream,
  | 'send'
  | 'close'
  | 'abort'
  | 'onDrain'
  | 'writableNeedsDrain'
  | 'addEventListener'
  | 'removeEventListener'
  | 'direction'
  | 'status'
>

export interface StreamLinkInit extends StreamLinkOptions {
  readonly stream: LinkStream
  readonly remotePeer: PeerId
  readonly kind: LinkKind
  /** Where the round-trip time comes from (libp2p's connection monitor). */
  readonly connection?: Pick<Connection, 'rtt' | 'id'>
}

export interface SendOptions {
  readonly signal?: AbortSignal
}

export interface StreamLinkStats {
  readonly framesSent: number
  readonly bytesSent: number
  readonly framesReceived: number
  readonly bytesReceived: number
  /** Sends that had to wait for the peer's credit. */
  readonly creditWaits: number
  /** Frames received but never read because the link closed locally first. */
  readonly framesDroppedOnClose: number
}

export const DEFAULT_RECEIVE_WINDOW_BYTES = 2 << 20
const DEFAULT_MAX_PENDING_SENDS = 64
const DEFAULT_SEND_TIMEOUT_MS = 30_000
const DEFAULT_CLOSE_TIMEOUT_MS = 5_000
/** Frames up to this size are copied behind their header and sent as one message. */
const COALESCE_BYTES = 16 << 10

interface SendJob {
  readonly frame: Uint8Array
  readonly cost: number
  readonly signal: AbortSignal
  readonly callerSignal: AbortSignal | undefined
  readonly resolve: () => void
  readonly reject: (err: Error) => void
  readonly onAbort: () => void
}

type State = 'open' | 'closing' | 'closed'

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const chosen = value ?? fallback
  if (!Number.isSafeInteger(chosen) || chosen < 1) {
    throw new InvalidArgumentError(`${name} must be a positive integer`, {
      details: { [name]: describeValue(value) },
    })
  }
  return chosen
}

export class StreamLink implements Link {
  readonly remotePeer: PeerId
  readonly kind: LinkKind
  /** Who opened the stream: the dialing side. */
  readonly initiator: 'local' | 'remote'
  readonly openedAt = Date.now()
  readonly closed: Promise<void>
  readonly frames: AsyncIterable<Uint8Array>

  readonly #stream: LinkStream
  readonly #connection: Pick<Connection, 'rtt' | 'id'> | undefined
  readonly #maxFrameBytes: number
  readonly #window: number
  readonly #maxPendingSends: number
  readonly #sendTimeoutMs: number
  readonly #closeTimeoutMs: number
  readonly #decoder: LinkMessageDecoder
  readonly #inbox = new FrameQueue()
  readonly #sendQueue: SendJob[] = []
  #state: State = 'open'
  #closeReason: Error | undefined
  #remoteEnded = false
  #framesTaken = false
  #resolveClosed: () => void = () => {}
  // receiving side of the credit: what we granted and what arrived
  #granted = 0
  #received = 0
  #pendingCredit = 0
  #creditTimer: ReturnType<typeof setTimeout> | undefined
  // sending side: the peer's window (known from its first grant) and our credit
  #peerWindow: number | undefined
  #credit = 0
  #pumping = false
  #wakeSender: (() => void) | undefined
  #wakeReader: (() => void) | undefined
  #closeTimer: ReturnType<typeof setTimeout> | undefined
  #stats = {
    framesSent: 0,
    bytesSent: 0,
    framesReceived: 0,
    bytesReceived: 0,
    creditWaits: 0,
    framesDroppedOnClose: 0,
  }

  constructor(init: StreamLinkInit) {
    this.#stream = init.stream
    this.#connection = init.connection
    this.remotePeer = init.remotePeer
    this.kind = init.kind
    this.initiator = init.stream.direction === 'outbound' ? 'local' : 'remote'
    this.#maxFrameBytes = positiveInteger('maxFrameBytes', init.maxFrameBytes, MAX_FRAME_BYTES)
    this.#window = Math.min(
      MAX_CREDIT,
      positiveInteger('receiveWindowBytes', init.receiveWindowBytes, DEFAULT_RECEIVE_WINDOW_BYTES),
    )
    this.#maxPendingSends = positiveInteger(
      'maxPendingSends',
      init.maxPendingSends,
      DEFAULT_MAX_PENDING_SENDS,
    )
    this.#sendTimeoutMs = positiveInteger(
      'sendTimeoutMs',
      init.sendTimeoutMs,
      DEFAULT_SEND_TIMEOUT_MS,
    )
    this.#closeTimeoutMs = positiveInteger(
      'closeTimeoutMs',
      init.closeTimeoutMs,
      DEFAULT_CLOSE_TIMEOUT_MS,
    )
    // One whole message may sit incomplete in the decoder, plus the chunk that completes it.
    this.#decoder = new LinkMessageDecoder(
      this.#maxFrameBytes,
      this.#maxFrameBytes + this.#window + (1 << 20),
    )
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
    this.#grant(this.#window)
  }

  /** Why the link closed; undefined while open or after a clean close by either side. */
  get closeReason(): Error | undefined {
    return this.#closeReason
  }

  get isClosed(): boolean {
    return this.#state === 'closed'
  }

  /** Round-trip time of the underlying connection in ms, once libp2p measured it. */
  get rtt(): number | undefined {
    return this.#connection?.rtt
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
    if (this.#sendQueue.length >= this.#maxPendingSends) {
      return Promise.reject(
        new SendQueueFullError(`${this.#maxPendingSends} sends already wait on this link`, {
          details: { remotePeer: this.remotePeer, maxPendingSends: this.#maxPendingSends },
        }),
      )
    }
    return new Promise<void>((resolve, reject) => {
      const signal = deadlineSignal(this.#sendTimeoutMs, options.signal)
      const job: SendJob = {
        frame,
        cost: frame.byteLength + 1,
        signal,
        callerSignal: options.signal,
        resolve,
        reject,
        onAbort: () => {
          const at = this.#sendQueue.indexOf(job)
          if (at > 0) {
            this.#sendQueue.splice(at, 1)
            reject(this.#sendFailure(job, signal.reason))
          } else {
            this.#wakeSender?.()
          }
        },
      }
      signal.addEventListener('abort', job.onAbort, { once: true })
      this.#sendQueue.push(job)
      void this.#pump()
    })
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
    let messages: ReturnType<LinkMessageDecoder['decode']>
    try {
      messages = this.#decoder.decode(event.data)
    } catch (err) {
      this.#abort(err instanceof Error ? err : new LinkProtocolError(String(err)))
      return
    }
    for (const message of messages) {
      if (message.type === 'credit') {
        this.#onCredit(message.bytes)
      } else {
        this.#onFrame(message.frame)
      }
      if (this.isClosed) return
    }
  }

  #onCredit(bytes: number): void {
    if (this.#peerWindow === undefined) {
      this.#peerWindow = bytes
      this.#credit = bytes
    } else {
      this.#credit += bytes
      if (this.#credit > this.#peerWindow) {
        this.#abort(
          new LinkProtocolError('peer granted more credit than its window', {
            details: { credit: this.#credit, window: this.#peerWindow },
          }),
        )
        return
      }
    }
    this.#wakeSender?.()
  }

  #onFrame(frame: Uint8Array): void {
    const cost = frame.byteLength + 1
    if (this.#received + Math.min(cost, this.#window) > this.#granted) {
      this.#abort(
        new LinkProtocolError('peer sent frames past the credit it was granted', {
          details: { received: this.#received, cost, granted: this.#granted },
        }),
      )
      return
    }
    this.#received += cost
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
    this.#pendingCredit += cost
    if (this.#pendingCredit >= this.#window / 4) {
      this.#flushCredit()
    } else if (this.#creditTimer === undefined) {
      // Coalesce small grants; a timer (not "never") so a sender waiting for
      // a whole window's worth of credit is always released.
      this.#creditTimer = setTimeout(() => {
        this.#creditTimer = undefined
        this.#flushCredit()
      }, 0)
    }
  }

  #flushCredit(): void {
    if (this.#creditTimer !== undefined) {
      clearTimeout(this.#creditTimer)
      this.#creditTimer = undefined
    }
    if (this.#state !== 'open' || this.#pendingCredit === 0) return
    const bytes = this.#pendingCredit
    this.#pendingCredit = 0
    this.#grant(bytes)
  }

  #grant(bytes: number): void {
    this.#granted += bytes
    try {
      this.#stream.send(encodeCredit(bytes))
    } catch (err) {
      this.#abort(this.#closedError('could not grant credit', err))
    }
  }

  // --- sending -------------------------------------------------------------

  async #pump(): Promise<void> {
    if (this.#pumping) return
    this.#pumping = true
    try {
      for (let job = this.#sendQueue[0]; job !== undefined; job = this.#sendQueue[0]) {
        try {
          await this.#waitForCapacity(job)
          this.#write(job.frame)
          job.resolve()
        } catch (err) {
          job.reject(err instanceof Error ? err : new ClosedError(String(err)))
        } finally {
          job.signal.removeEventListener('abort', job.onAbort)
          if (this.#sendQueue[0] === job) this.#sendQueue.shift()
        }
      }
    } finally {
      this.#pumping = false
    }
  }

  async #waitForCapacity(job: SendJob): Promise<void> {
    let waited = false
    for (;;) {
      if (this.#state !== 'open') throw this.#closedError('link closed before the frame was sent')
      if (job.signal.aborted) throw this.#sendFailure(job, job.signal.reason)
      const window = this.#peerWindow
      const hasCredit = window !== undefined && this.#credit >= Math.min(job.cost, window)
      if (hasCredit && !this.#stream.writableNeedsDrain) return
      if (!hasCredit && !waited && window !== undefined) {
        waited = true
        this.#stats.creditWaits++
      }
      await new Promise<void>((resolve) => {
        this.#wakeSender = resolve
      })
      this.#wakeSender = undefined
    }
  }

  readonly #onDrain = (): void => {
    this.#wakeSender?.()
  }

  #write(frame: Uint8Array): void {
    const header = encodeDataHeader(frame.byteLength)
    try {
      if (frame.byteLength <= COALESCE_BYTES) {
        const message = new Uint8Array(header.byteLength + frame.byteLength)
        message.set(header)
        message.set(frame, header.byteLength)
        this.#stream.send(message)
      } else {
        this.#stream.send(header)
        this.#stream.send(frame)
      }
    } catch (err) {
      throw this.#closedError('the stream refused the frame', err)
    }
    this.#credit -= frame.byteLength + 1
    this.#stats.framesSent++
    this.#stats.bytesSent += frame.byteLength
  }

  #sendFailure(job: SendJob, cause: unknown): Error {
    return typedFailure(cause, 'link send', job.signal, job.callerSignal, (message, c) => {
      return new AbortedError(message, { cause: c })
    })
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
    this.#failPendingSends(this.#closedError('link is closing'))
    this.#wakeReader?.()
    this.#closeTimer = setTimeout(() => {
      this.#abort(new ClosedError(`peer did not close within ${this.#closeTimeoutMs} ms`))
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
    if (this.#closeTimer !== undefined) clearTimeout(this.#closeTimer)
    if (this.#creditTimer !== undefined) clearTimeout(this.#creditTimer)
    this.#stream.removeEventListener('message', this.#onMessage)
    this.#stream.removeEventListener('remoteCloseWrite', this.#onRemoteCloseWrite)
    this.#stream.removeEventListener('close', this.#onClose)
    this.#stream.removeEventListener('drain', this.#onDrain)
    this.#failPendingSends(this.#closedError('link closed'))
    this.#wakeReader?.()
    this.#wakeSender?.()
    this.#resolveClosed()
  }

  #failPendingSends(error: Error): void {
    // The head job belongs to the pump, which sees the state change when woken.
    const waiting = this.#sendQueue.splice(this.#pumping ? 1 : 0)
    for (const job of waiting) {
      job.signal.removeEventListener('abort', job.onAbort)
      job.reject(error)
    }
    this.#wakeSender?.()
  }

  #closedError(message: string, cause?: unknown): ClosedError {
    return new ClosedError(message, {
      cause: cause ?? this.#closeReason,
      details: { remotePeer: this.remotePeer, kind: this.kind },
    })
  }
}
