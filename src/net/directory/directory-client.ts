/**
 * A peer's side of `/meshlog/directory/1.0.0` (messages in
 * directory-messages.ts): joins one room through the relay connection, keeps
 * the member list current from the relay's pushes, and re-announces its
 * addresses when they change. Membership lasts as long as this stream.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { TypedEventTarget } from '../../core/events/typed-event-target.js'
import { deadlineSignal, typedFailure } from '../deadline.js'
import { DirectoryError } from '../net-errors.js'
import {
  checkRoomName,
  DEFAULT_MAX_DIRECTORY_MESSAGE_BYTES,
  DIRECTORY_PROTOCOL,
  type DirectoryMember,
  decodeServerMessage,
  encodeDirectoryMessage,
  type ServerMessage,
} from './directory-messages.js'

export interface DirectoryClientEvents extends Record<string, unknown> {
  /** A peer joined the room, or announced new addresses. */
  member: DirectoryMember
  left: { readonly peer: string }
  /** The stream ended: the relay went away, refused us, or we closed. */
  closed: { readonly error: Error | undefined }
}

export interface JoinOptions {
  readonly signal?: AbortSignal
  /** Deadline for opening the stream and receiving the whole snapshot. Default 10 s. */
  readonly timeoutMs?: number
  readonly maxMessageBytes?: number
  /** Most members we keep; the relay bounds rooms too. Default 256. */
  readonly maxMembers?: number
}

export class DirectoryClient extends TypedEventTarget<DirectoryClientEvents> {
  readonly room: string
  readonly #stream: Stream
  readonly #lp: LengthPrefixedStream<Stream>
  readonly #self: string
  readonly #maxMessageBytes: number
  readonly #maxMembers: number
  readonly #members = new Map<string, DirectoryMember>()
  #closed = false

  private constructor(room: string, stream: Stream, self: string, options: JoinOptions) {
    super()
    this.room = room
    this.#stream = stream
    this.#self = self
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_DIRECTORY_MESSAGE_BYTES
    this.#maxMembers = options.maxMembers ?? 256
    this.#lp = lpStream(stream, { maxDataLength: this.#maxMessageBytes })
  }

  /**
   * Joins `room` over `relay` (an open connection to the relay) announcing
   * `addrs`, and resolves once the relay sent the current members.
   */
  static async join(
    relay: Connection,
    self: string,
    room: string,
    addrs: readonly string[],
    options: JoinOptions = {},
  ): Promise<DirectoryClient> {
    checkRoomName(room)
    const signal = deadlineSignal(options.timeoutMs ?? 10_000, options.signal)
    let client: DirectoryClient | undefined
    try {
      const stream = await relay.newStream(DIRECTORY_PROTOCOL, { signal })
      client = new DirectoryClient(room, stream, self, options)
      await client.#write({ t: 'join', room, addrs }, signal)
      for (;;) {
        const message = await client.#read(signal)
        if (message.t === 'welcome') break
        client.#apply(message)
      }
    } catch (err) {
      if (client !== undefined)
        client.#stream.abort(err instanceof Error ? err : new Error(String(err)))
      throw typedFailure(err, `join directory room ${room}`, signal, options.signal, (m, c) => {
        return new DirectoryError(m, { cause: c, details: { room } })
      })
    }
    void client.#readLoop()
    return client
  }

  /** Current members, ourselves excluded. */
  get members(): ReadonlyMap<string, DirectoryMember> {
    return this.#members
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** Announces new addresses (e.g. a WebRTC address that appeared after joining). */
  async update(addrs: readonly string[], options: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = deadlineSignal(10_000, options.signal)
    await this.#write({ t: 'update', addrs }, signal)
  }

  /** Leaves the room. Idempotent. */
  close(): void {
    if (this.#closed) return
    this.#stream.close({ signal: AbortSignal.timeout(5_000) }).catch((err: unknown) => {
      this.#stream.abort(err instanceof Error ? err : new Error(String(err)))
    })
    this.#end(undefined)
  }

  async #write(
    message: Parameters<typeof encodeDirectoryMessage>[0],
    signal: AbortSignal,
  ): Promise<void> {
    await this.#lp.write(encodeDirectoryMessage(message, this.#maxMessageBytes), { signal })
  }

  async #read(signal?: AbortSignal): Promise<ServerMessage> {
    const bytes = await this.#lp.read(signal === undefined ? {} : { signal })
    const message = decodeServerMessage(bytes.subarray(), this.#maxMessageBytes)
    if (message.t === 'error') {
      throw new DirectoryError(`relay directory: ${message.message}`, {
        details: { reason: message.code, room: this.room },
      })
    }
    return message
  }

  #apply(message: ServerMessage): void {
    if (message.t === 'member') {
      if (message.peer === this.#self) return
      if (!this.#members.has(message.peer) && this.#members.size >= this.#maxMembers) return
      const member: DirectoryMember = { peer: message.peer, addrs: message.addrs }
      this.#members.set(message.peer, member)
      if (!this.#closed) this.emit('member', member)
    } else if (message.t === 'left') {
      if (this.#members.delete(message.peer)) this.emit('left', { peer: message.peer })
    }
  }

  async #readLoop(): Promise<void> {
    let error: Error | undefined
    try {
      while (!this.#closed) this.#apply(await this.#read())
    } catch (err) {
      error = err instanceof Error ? err : new DirectoryError(String(err))
    }
    this.#stream.abort(error ?? new DirectoryError('directory stream ended'))
    this.#end(this.#closed ? undefined : error)
  }

  #end(error: Error | undefined): void {
    if (this.#closed) return
    this.#closed = true
    this.emit('closed', { error })
  }
}
