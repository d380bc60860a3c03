/**
 * Tabs of one origin as one more transport: every tab joins a
 * BroadcastChannel, announces itself, and gets a Link per other tab, so two
 * tabs replicate with no network at all. BroadcastChannel delivers to every
 * tab in order per sender; frames carry `to` and the others ignore them.
 * A tab that stops sending (closed, frozen, crashed) is dropped after
 * `timeoutMs` without a message; a clean close says `bye` at once.
 */
import { ClosedError } from '../core/errors.js'
import { TypedEventTarget } from '../core/events/typed-event-target.js'
import { type PeerId, peerId } from '../core/log/ids.js'
import { type Cancel, type Clock, systemClock } from '../core/time/clock.js'
import { FramePipe } from '../core/transport/frame-pipe.js'
import type { Link, LinkKind } from '../core/transport/link.js'

type TabMessage =
  | { readonly t: 'hello' | 'here' | 'bye'; readonly from: string }
  | { readonly t: 'frame'; readonly from: string; readonly to: string; readonly frame: Uint8Array }

export interface TabLinksEvents {
  'link-up': { readonly link: Link }
  'link-down': { readonly peer: PeerId }
}

export interface TabLinksOptions {
  readonly self: PeerId
  /** All tabs of a mesh use the same name (default `meshlog-tabs`). */
  readonly channelName?: string
  readonly heartbeatMs?: number
  readonly timeoutMs?: number
  readonly clock?: Clock
  /** Frames buffered per link before `send` waits for the reader. */
  readonly highWaterMark?: number
}

class TabLink implements Link {
  readonly kind: LinkKind = 'broadcast-channel'
  readonly closed: Promise<void>
  readonly inbound: FramePipe
  lastHeard: number
  #markClosed!: () => void

  constructor(
    readonly remotePeer: PeerId,
    private readonly post: (message: TabMessage) => void,
    private readonly self: PeerId,
    now: number,
    highWaterMark: number,
    private readonly onClose: (link: TabLink) => void,
  ) {
    this.inbound = new FramePipe(highWaterMark)
    this.lastHeard = now
    this.closed = new Promise((resolve) => {
      this.#markClosed = resolve
    })
  }

  get frames(): AsyncIterable<Uint8Array> {
    return this.inbound
  }

  async send(frame: Uint8Array): Promise<void> {
    if (this.inbound.isClosed) throw new ClosedError(`link to tab ${this.remotePeer} is closed`)
    // A view into a bigger buffer (the frame port's batches) would be cloned whole.
    const own = frame.byteLength === frame.buffer.byteLength ? frame : frame.slice()
    this.post({ t: 'frame', from: this.self, to: this.remotePeer, frame: own })
  }

  close(reason?: Error): void {
    if (this.inbound.isClosed) return
    this.inbound.close(reason)
    this.#markClosed()
    this.onClose(this)
  }
}

export class TabLinks extends TypedEventTarget<TabLinksEvents> {
  readonly self: PeerId
  readonly #channelName: string
  readonly #heartbeatMs: number
  readonly #timeoutMs: number
  readonly #clock: Clock
  readonly #highWaterMark: number
  readonly #links = new Map<PeerId, TabLink>()
  #channel: BroadcastChannel | undefined
  #cancelHeartbeat: Cancel | undefined

  constructor(options: TabLinksOptions) {
    super()
    this.self = options.self
    this.#channelName = options.channelName ?? 'meshlog-tabs'
    this.#heartbeatMs = options.heartbeatMs ?? 1000
    this.#timeoutMs = options.timeoutMs ?? 3500
    this.#clock = options.clock ?? systemClock
    this.#highWaterMark = options.highWaterMark ?? 256
  }

  get links(): ReadonlyMap<PeerId, Link> {
    return this.#links
  }

  start(): void {
    if (this.#channel !== undefined) return
    this.#channel = new BroadcastChannel(this.#channelName)
    this.#channel.onmessage = (event: MessageEvent<TabMessage>) => this.#receive(event.data)
    this.#post({ t: 'hello', from: this.self })
    this.#scheduleHeartbeat()
  }

  /** Says goodbye, closes every tab link and leaves the channel. Idempotent. */
  stop(): void {
    const channel = this.#channel
    if (channel === undefined) return
    this.#post({ t: 'bye', from: this.self })
    this.#cancelHeartbeat?.()
    this.#channel = undefined
    for (const link of [...this.#links.values()]) link.close()
    channel.close()
  }

  #post(message: TabMessage): void {
    this.#channel?.postMessage(message)
  }

  #scheduleHeartbeat(): void {
    this.#cancelHeartbeat = this.#clock.setTimer(this.#heartbeatMs, () => {
      this.#post({ t: 'here', from: this.self })
      const now = this.#clock.now()
      for (const link of [...this.#links.values()]) {
        if (now - link.lastHeard > this.#timeoutMs)
          link.close(new ClosedError(`tab ${link.remotePeer} went silent`))
      }
      if (this.#channel !== undefined) this.#scheduleHeartbeat()
    })
  }

  #receive(message: TabMessage): void {
    let from: PeerId
    try {
      from = peerId(message.from)
    } catch {
      return
    }
    if (from === this.self) return
    if (message.t === 'bye') {
      this.#links.get(from)?.close()
      return
    }
    if (message.t === 'frame' && message.to !== this.self) return
    const link = this.#links.get(from) ?? this.#open(from)
    link.lastHeard = this.#clock.now()
    if (message.t === 'hello') this.#post({ t: 'here', from: this.self })
    if (message.t === 'frame' && message.frame instanceof Uint8Array)
      link.inbound.push(message.frame)
  }

  #open(peer: PeerId): TabLink {
    const link = new TabLink(
      peer,
      (message) => this.#post(message),
      this.self,
      this.#clock.now(),
      this.#highWaterMark,
      (closed) => {
        if (this.#links.get(peer) !== closed) return
        this.#links.delete(peer)
        this.emit('link-down', { peer })
      },
    )
    this.#links.set(peer, link)
    this.emit('link-up', { link })
    return link
  }
}
