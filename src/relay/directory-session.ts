/**
 * One member's directory stream on the relay: a bounded outbox of pushes
 * written in order, each with a deadline. A member that cannot keep up (its
 * outbox fills, or one write stalls past the deadline) is dropped rather than
 * letting the relay buffer for it without end.
 */
import type { Stream } from '@libp2p/interface'
import type { LengthPrefixedStream } from '@libp2p/utils'
import {
  type DirectoryErrorCode,
  encodeDirectoryMessage,
  type ServerMessage,
} from '../net/directory/directory-messages.js'

export interface DirectorySessionInit {
  readonly peer: string
  readonly room: string
  readonly addrs: readonly string[]
  readonly stream: Stream
  readonly lp: LengthPrefixedStream<Stream>
  readonly maxQueued: number
  readonly maxMessageBytes: number
  readonly writeTimeoutMs: number
  /** Called once, when the session ends for any reason. */
  readonly onEnd: (session: DirectorySession, code: DirectoryErrorCode | undefined) => void
}

export class DirectorySession {
  readonly peer: string
  readonly room: string
  addrs: readonly string[]
  readonly #stream: Stream
  readonly #lp: LengthPrefixedStream<Stream>
  readonly #init: DirectorySessionInit
  readonly #outbox: ServerMessage[] = []
  #writing = false
  #ended = false

  constructor(init: DirectorySessionInit) {
    this.peer = init.peer
    this.room = init.room
    this.addrs = init.addrs
    this.#stream = init.stream
    this.#lp = init.lp
    this.#init = init
  }

  get ended(): boolean {
    return this.#ended
  }

  push(message: ServerMessage): void {
    if (this.#ended) return
    if (this.#outbox.length >= this.#init.maxQueued) {
      this.end('slow-consumer')
      return
    }
    this.#outbox.push(message)
    void this.#drain()
  }

  /**
   * Ends the session. With a code, the member is told why (best effort, under
   * the write deadline) before the stream closes.
   */
  end(code?: DirectoryErrorCode, message = code ?? 'bye'): void {
    if (this.#ended) return
    this.#ended = true
    this.#outbox.length = 0
    this.#init.onEnd(this, code)
    void this.#closeStream(code, message)
  }

  async #closeStream(code: DirectoryErrorCode | undefined, message: string): Promise<void> {
    const signal = AbortSignal.timeout(this.#init.writeTimeoutMs)
    try {
      if (code !== undefined) {
        const bytes = encodeDirectoryMessage(
          { t: 'error', code, message: message.slice(0, 200) },
          this.#init.maxMessageBytes,
        )
        await this.#lp.write(bytes, { signal })
      }
      await this.#stream.close({ signal })
    } catch (err) {
      this.#stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  async #drain(): Promise<void> {
    if (this.#writing) return
    this.#writing = true
    try {
      for (let next = this.#outbox.shift(); next !== undefined; next = this.#outbox.shift()) {
        const bytes = encodeDirectoryMessage(next, this.#init.maxMessageBytes)
        await this.#lp.write(bytes, { signal: AbortSignal.timeout(this.#init.writeTimeoutMs) })
      }
    } catch {
      this.end('slow-consumer')
    } finally {
      this.#writing = false
    }
  }
}
