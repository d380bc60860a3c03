/**
 * The relay side of `/meshlog/directory/1.0.0` (protocol in
 * src/net/directory/directory-messages.ts): rooms of members, each member
 * one open stream. Membership ends with the stream, so a closed tab, a lost
 * connection or a relay restart all clear it without timers. Everything is
 * bounded: rooms, members per room, message size, the time to send `join`,
 * and each member's queue of pushes.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { DropCounter } from '../core/queue/drop-counter.js'
import { peerIdOfAddr } from '../net/addresses.js'
import {
  type ClientMessage,
  DIRECTORY_PROTOCOL,
  type DirectoryErrorCode,
  type DirectoryMember,
  decodeClientMessage,
} from '../net/directory/directory-messages.js'
import { DirectoryError } from '../net/net-errors.js'
import { DirectorySession } from './directory-session.js'
import type { JsonLog } from './json-log.js'
import type { RelayLimits } from './relay-limits.js'

export type DirectoryLimits = Pick<
  RelayLimits,
  | 'maxRooms'
  | 'maxMembersPerRoom'
  | 'maxDirectoryMessageBytes'
  | 'directoryJoinTimeoutMs'
  | 'maxQueuedDirectoryMessages'
>

const REFUSALS = [
  'invalid-message',
  'join-timeout',
  'room-full',
  'too-many-rooms',
  'not-your-address',
] as const
type Refusal = (typeof REFUSALS)[number]

/** Directory streams one connection may hold (one per room it is in). */
const MAX_DIRECTORY_STREAMS_PER_CONNECTION = 4
const WRITE_TIMEOUT_MS = 10_000

export interface DirectoryStats {
  readonly rooms: number
  readonly members: number
  readonly joins: number
  readonly leaves: number
  readonly refused: Readonly<Record<Refusal, number>> & { readonly total: number }
  readonly droppedSlow: number
}

export class DirectoryService {
  readonly #node: Pick<Libp2p, 'handle' | 'unhandle'>
  readonly #limits: DirectoryLimits
  readonly #log: JsonLog
  readonly #rooms = new Map<string, Map<string, DirectorySession>>()
  readonly #refused = new DropCounter<Refusal>(REFUSALS)
  #joins = 0
  #leaves = 0
  #droppedSlow = 0
  #started = false

  constructor(node: Pick<Libp2p, 'handle' | 'unhandle'>, limits: DirectoryLimits, log: JsonLog) {
    this.#node = node
    this.#limits = limits
    this.#log = log
  }

  async start(): Promise<void> {
    if (this.#started) return
    await this.#node.handle(
      DIRECTORY_PROTOCOL,
      (stream, connection) => {
        void this.#serve(stream, connection)
      },
      { maxInboundStreams: MAX_DIRECTORY_STREAMS_PER_CONNECTION },
    )
    this.#started = true
  }

  async stop(): Promise<void> {
    if (!this.#started) return
    // Members are told 'shutting-down' on their own stream; no 'left' pushes for each other.
    this.#started = false
    await this.#node.unhandle(DIRECTORY_PROTOCOL)
    for (const room of [...this.#rooms.values()]) {
      for (const session of [...room.values()]) session.end('shutting-down')
    }
    this.#rooms.clear()
  }

  members(room: string): DirectoryMember[] {
    const sessions = this.#rooms.get(room)
    if (sessions === undefined) return []
    return [...sessions.values()].map((s) => ({ peer: s.peer, addrs: s.addrs }))
  }

  stats(): DirectoryStats {
    let members = 0
    for (const room of this.#rooms.values()) members += room.size
    return {
      rooms: this.#rooms.size,
      members,
      joins: this.#joins,
      leaves: this.#leaves,
      refused: this.#refused.snapshot(),
      droppedSlow: this.#droppedSlow,
    }
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer.toString()
    const lp = lpStream(stream, { maxDataLength: this.#limits.maxDirectoryMessageBytes })
    let join: ClientMessage
    try {
      const bytes = await lp.read({
        signal: AbortSignal.timeout(this.#limits.directoryJoinTimeoutMs),
      })
      join = decodeClientMessage(bytes.subarray(), this.#limits.maxDirectoryMessageBytes)
      if (join.t !== 'join') throw new DirectoryError('first message must be join')
      this.#checkAddrs(peer, join.addrs)
    } catch (err) {
      const code = refusalOf(err)
      this.#refuse(stream, lp, peer, code, err)
      return
    }
    const session = this.#admit(peer, join.room, join.addrs, stream, lp)
    if (session === undefined) return
    try {
      for (;;) {
        const bytes = await lp.read()
        const message = decodeClientMessage(bytes.subarray(), this.#limits.maxDirectoryMessageBytes)
        if (message.t !== 'update') throw new DirectoryError('join may be sent once per stream')
        this.#checkAddrs(peer, message.addrs)
        session.addrs = message.addrs
        this.#broadcast(session, { t: 'member', peer, addrs: message.addrs })
      }
    } catch (err) {
      // End of stream (the member left or its connection dropped) or a bad message.
      const code = err instanceof DirectoryError ? refusalOf(err) : undefined
      if (code !== undefined) this.#refused.record(code)
      session.end(code)
    }
  }

  #admit(
    peer: string,
    roomName: string,
    addrs: readonly string[],
    stream: Stream,
    lp: LengthPrefixedStream<Stream>,
  ): DirectorySession | undefined {
    let room = this.#rooms.get(roomName)
    if (room === undefined && this.#rooms.size >= this.#limits.maxRooms) {
      this.#refuse(stream, lp, peer, 'too-many-rooms')
      return undefined
    }
    const previous = room?.get(peer)
    if (
      previous === undefined &&
      room !== undefined &&
      room.size >= this.#limits.maxMembersPerRoom
    ) {
      this.#refuse(stream, lp, peer, 'room-full')
      return undefined
    }
    if (room === undefined) {
      room = new Map()
      this.#rooms.set(roomName, room)
    }
    const session = new DirectorySession({
      peer,
      room: roomName,
      addrs,
      stream,
      lp,
      maxQueued: this.#limits.maxQueuedDirectoryMessages,
      maxMessageBytes: this.#limits.maxDirectoryMessageBytes,
      writeTimeoutMs: WRITE_TIMEOUT_MS,
      onEnd: (ended, code) => this.#onSessionEnd(ended, code),
    })
    // A peer that joins again (a new stream after a reconnect) replaces its old entry.
    if (previous !== undefined) previous.end('replaced')
    room.set(peer, session)
    this.#joins++
    this.#log('info', 'directory-join', { room: roomName, peer, members: room.size })
    let count = 0
    for (const other of room.values()) {
      if (other === session) continue
      session.push({ t: 'member', peer: other.peer, addrs: other.addrs })
      count++
    }
    session.push({ t: 'welcome', members: count })
    this.#broadcast(session, { t: 'member', peer, addrs })
    return session
  }

  #onSessionEnd(session: DirectorySession, code: DirectoryErrorCode | undefined): void {
    if (code === 'slow-consumer') this.#droppedSlow++
    const room = this.#rooms.get(session.room)
    if (room?.get(session.peer) !== session) return // replaced: the new session is the member
    room.delete(session.peer)
    if (room.size === 0) this.#rooms.delete(session.room)
    this.#leaves++
    if (!this.#started) return
    this.#log('info', 'directory-leave', {
      room: session.room,
      peer: session.peer,
      members: room.size,
      ...(code === undefined ? {} : { reason: code }),
    })
    this.#broadcast(session, { t: 'left', peer: session.peer })
  }

  #broadcast(from: DirectorySession, message: Parameters<DirectorySession['push']>[0]): void {
    const room = this.#rooms.get(from.room)
    if (room === undefined) return
    for (const other of [...room.values()]) {
      if (other !== from) other.push(message)
    }
  }

  #checkAddrs(peer: string, addrs: readonly string[]): void {
    for (const addr of addrs) {
      if (peerIdOfAddr(multiaddr(addr)) !== peer) {
        throw new DirectoryError('a member may only announce its own addresses', {
          details: { reason: 'not-your-address', addr },
        })
      }
    }
  }

  #refuse(
    stream: Stream,
    lp: LengthPrefixedStream<Stream>,
    peer: string,
    code: Refusal,
    cause?: unknown,
  ): void {
    this.#refused.record(code)
    this.#log('warn', 'directory-refused', {
      peer,
      reason: code,
      ...(cause instanceof Error ? { error: cause.message } : {}),
    })
    const session = new DirectorySession({
      peer,
      room: '',
      addrs: [],
      stream,
      lp,
      maxQueued: 1,
      maxMessageBytes: this.#limits.maxDirectoryMessageBytes,
      writeTimeoutMs: WRITE_TIMEOUT_MS,
      onEnd: () => {},
    })
    session.end(code, cause instanceof Error ? cause.message : code)
  }
}

function refusalOf(err: unknown): Refusal {
  if (err instanceof DirectoryError) {
    const reason = err.details.reason
    if (typeof reason === 'string' && (REFUSALS as readonly string[]).includes(reason)) {
      return reason as Refusal
    }
    return 'invalid-message'
  }
  if (err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError')) {
    return 'join-timeout'
  }
  return 'invalid-message'
}
