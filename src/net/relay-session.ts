/**
 * Our standing with the relay: connected, holding a circuit reservation (so
 * peers can reach us through it), and a member of the room's directory. When
 * any of that is lost — the relay restarts, the network drops — it starts
 * over with backoff until stopped. Members are reported as the directory
 * pushes them; a fresh `snapshot` after each (re)join says who is there now.
 */
import type { Connection, Libp2p } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'
import { TypedEventTarget } from '../core/events/typed-event-target.js'
import { isCircuitAddr, isWebRTCAddr, peerIdOfAddr } from './addresses.js'
import { type BackoffPolicy, backoffDelay } from './backoff.js'
import { deadlineSignal, sleep, typedFailure } from './deadline.js'
import { DirectoryClient } from './directory/directory-client.js'
import { type DirectoryMember, MAX_MEMBER_ADDRS } from './directory/directory-messages.js'
import { DialError } from './net-errors.js'

export type RelayState = 'idle' | 'connecting' | 'reserving' | 'joining' | 'joined' | 'backoff'

export interface RelaySessionEvents extends Record<string, unknown> {
  state: { readonly state: RelayState; readonly error: Error | undefined }
  /** Everyone in the room right after a (re)join. */
  snapshot: { readonly members: readonly DirectoryMember[] }
  member: DirectoryMember
  left: { readonly peer: string }
}

export interface RelaySessionOptions {
  readonly node: Pick<
    Libp2p,
    'dial' | 'getMultiaddrs' | 'addEventListener' | 'removeEventListener' | 'peerId'
  >
  readonly relay: Multiaddr
  readonly room: string
  readonly dialTimeoutMs: number
  /** How long to wait for the circuit reservation (and the WebRTC address). */
  readonly reservationTimeoutMs: number
  /** Wait for our `/webrtc` circuit address too before joining. */
  readonly expectWebRTC: boolean
  readonly backoff: BackoffPolicy
  readonly maxMembers: number
}

const ADDRESS_EVENTS = ['self:peer:update', 'transport:listening'] as const

export class RelaySession extends TypedEventTarget<RelaySessionEvents> {
  readonly #options: RelaySessionOptions
  readonly #relayPeer: string
  #state: RelayState = 'idle'
  #failures = 0
  #lastError: Error | undefined
  #stop: AbortController | undefined
  #loop: Promise<void> | undefined
  #client: DirectoryClient | undefined

  constructor(options: RelaySessionOptions) {
    super()
    this.#options = options
    this.#relayPeer = peerIdOfAddr(options.relay) ?? ''
  }

  get state(): RelayState {
    return this.#state
  }

  get failures(): number {
    return this.#failures
  }

  get lastError(): Error | undefined {
    return this.#lastError
  }

  get members(): ReadonlyMap<string, DirectoryMember> {
    return this.#client?.members ?? new Map()
  }

  start(): void {
    if (this.#stop !== undefined) return
    this.#stop = new AbortController()
    this.#loop = this.#run(this.#stop.signal)
  }

  async stop(): Promise<void> {
    const stop = this.#stop
    if (stop === undefined) return
    stop.abort()
    this.#client?.close()
    await this.#loop
    this.#stop = undefined
    this.#loop = undefined
    this.#setState('idle', undefined)
  }

  async #run(stopped: AbortSignal): Promise<void> {
    while (!stopped.aborted) {
      try {
        await this.#session(stopped)
        this.#failures = 0
      } catch (err) {
        if (stopped.aborted) break
        this.#failures++
        this.#lastError = err instanceof Error ? err : new DialError(String(err))
      }
      if (stopped.aborted) break
      this.#setState('backoff', this.#lastError)
      try {
        await sleep(backoffDelay(this.#options.backoff, Math.max(1, this.#failures)), stopped)
      } catch {
        break
      }
    }
  }

  /** One connect → reserve → join → serve cycle; returns when the directory stream ends. */
  async #session(stopped: AbortSignal): Promise<void> {
    const { node, relay, room } = this.#options
    this.#setState('connecting', undefined)
    const dialSignal = deadlineSignal(this.#options.dialTimeoutMs, stopped)
    let connection: Connection
    try {
      connection = await node.dial(relay, { signal: dialSignal })
    } catch (err) {
      throw typedFailure(err, `dial relay ${relay.toString()}`, dialSignal, stopped, (m, c) => {
        return new DialError(m, { cause: c, details: { relay: relay.toString() } })
      })
    }
    this.#setState('reserving', undefined)
    const addrs = await this.#reservedAddrs(stopped)
    this.#setState('joining', undefined)
    const client = await DirectoryClient.join(connection, node.peerId.toString(), room, addrs, {
      signal: stopped,
      timeoutMs: this.#options.dialTimeoutMs,
      maxMembers: this.#options.maxMembers,
    })
    this.#client = client
    const ended = new Promise<Error | undefined>((resolve) => {
      client.on('closed', (event) => resolve(event.detail.error), { once: true })
    })
    client.on('member', (event) => this.emit('member', event.detail))
    client.on('left', (event) => this.emit('left', event.detail))
    let announced = addrs.join(' ')
    const onAddresses = (): void => {
      const now = this.#announceable()
      if (now.length === 0 || now.join(' ') === announced) return
      announced = now.join(' ')
      client.update(now).catch(() => client.close())
    }
    for (const name of ADDRESS_EVENTS) node.addEventListener(name, onAddresses)
    try {
      this.#setState('joined', undefined)
      this.emit('snapshot', { members: [...client.members.values()] })
      const error = await ended
      if (error !== undefined && !stopped.aborted) throw error
    } finally {
      for (const name of ADDRESS_EVENTS) node.removeEventListener(name, onAddresses)
      client.close()
      this.#client = undefined
    }
  }

  /** Our addresses through this relay (WebRTC first), plus any direct ones. */
  #announceable(): string[] {
    const via = `/p2p/${this.#relayPeer}/p2p-circuit`
    const all = this.#options.node.getMultiaddrs()
    const circuit = all.filter((a) => a.toString().includes(via))
    const ordered = [
      ...circuit.filter((a) => isWebRTCAddr(a)),
      ...circuit.filter((a) => !isWebRTCAddr(a)),
      ...all.filter((a) => !isCircuitAddr(a)),
    ]
    return ordered.slice(0, MAX_MEMBER_ADDRS).map(String)
  }

  /**
   * Waits until the relay reservation shows up in our addresses (and the
   * WebRTC one, when expected, or the deadline passes with only the circuit).
   */
  async #reservedAddrs(stopped: AbortSignal): Promise<string[]> {
    const { node } = this.#options
    const signal = deadlineSignal(this.#options.reservationTimeoutMs, stopped)
    const via = `/p2p/${this.#relayPeer}/p2p-circuit`
    const ready = (): 'complete' | 'circuit' | 'none' => {
      const addrs = this.#announceable()
      const circuit = addrs.filter((a) => a.includes(via))
      if (circuit.length === 0) return 'none'
      if (!this.#options.expectWebRTC || circuit.some((a) => a.includes('/webrtc'))) {
        return 'complete'
      }
      return 'circuit'
    }
    let wake: () => void = () => {}
    const onChange = (): void => wake()
    for (const name of ADDRESS_EVENTS) node.addEventListener(name, onChange)
    signal.addEventListener('abort', onChange)
    try {
      while (ready() !== 'complete' && !signal.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve
        })
      }
    } finally {
      for (const name of ADDRESS_EVENTS) node.removeEventListener(name, onChange)
      signal.removeEventListener('abort', onChange)
    }
    if (stopped.aborted)
      throw typedFailure(signal.reason, 'relay reservation', signal, stopped, fail)
    if (ready() === 'none') {
      throw new DialError('relay gave no circuit reservation in time', {
        details: {
          relay: this.#options.relay.toString(),
          timeoutMs: this.#options.reservationTimeoutMs,
        },
      })
    }
    return this.#announceable()
  }

  #setState(state: RelayState, error: Error | undefined): void {
    if (state === this.#state && error === undefined) return
    this.#state = state
    this.emit('state', { state, error })
  }
}

function fail(message: string, cause: unknown): DialError {
  return new DialError(message, { cause })
}
