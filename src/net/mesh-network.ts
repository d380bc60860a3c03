/**
 * The mesh on a page (or a Node peer): starts the libp2p node, keeps us in
 * the relay's directory room (relay-session.ts), dials every member over the
 * best route (peer-dialer.ts) and keeps exactly one link per peer
 * (link-preference.ts). A relayed link is replaced when WebRTC comes up; a
 * dropped link is redialled with backoff while the peer is still a member.
 * The client listens for `link-up`/`link-down` and attaches the links.
 *
 * Glare: the peer with the smaller id dials at once; the other waits
 * `acceptGraceMs` and only then dials too, so one link forms in the common
 * case and the preference rule settles the rare double.
 */
import type { Libp2p } from '@libp2p/interface'
import { TypedEventTarget } from '../core/events/typed-event-target.js'
import { type PeerId, peerId } from '../core/log/ids.js'
import { closeConnectionsTo, closeIdleCircuitsTo } from './connection-housekeeping.js'
import { deadlineSignal } from './deadline.js'
import { nextDialDelay } from './dial-schedule.js'
import type { DirectoryMember } from './directory/directory-messages.js'
import { isDesignatedDialer, prefersCandidate } from './link-preference.js'
import {
  type MeshCounters,
  type MeshNetworkEvents,
  type MeshNetworkOptions,
  type MeshStatus,
  type ResolvedMeshOptions,
  resolveMeshOptions,
} from './mesh-options.js'
import { handleLinks } from './meshlog-protocol.js'
import { DialError } from './net-errors.js'
import { canUseWebRTC, type DialRoute, type PeerDialerOptions, routesTo } from './peer-dialer.js'
import { newPeerState, type PeerState, peerStatus } from './peer-state.js'
import { RelaySession } from './relay-session.js'
import type { StreamLink } from './stream-link.js'

export type {
  MeshCounters,
  MeshNetworkEvents,
  MeshNetworkOptions,
  MeshStatus,
  PeerStatus,
} from './mesh-options.js'

/** Members the directory client keeps; we link at most `maxPeers` of them. */
const MAX_DIRECTORY_MEMBERS = 1024

export class MeshNetwork extends TypedEventTarget<MeshNetworkEvents> {
  readonly node: Libp2p
  readonly self: PeerId
  readonly #options: ResolvedMeshOptions
  readonly #relay: RelaySession
  readonly #peers = new Map<string, PeerState>()
  readonly #dialQueue: string[] = []
  #activeDials = 0
  #running: AbortController | undefined
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  #unhandle: (() => Promise<void>) | undefined
  readonly #counters: MeshCounters = {
    dials: 0,
    dialFailures: 0,
    webRTCFallbacks: 0,
    linksUp: 0,
    linksDown: 0,
    linksReplaced: 0,
    duplicateLinksClosed: 0,
    refusedOverMaxPeers: 0,
    relayedConnectionsClosed: 0,
    linksFailedProbe: 0,
  }

  constructor(options: MeshNetworkOptions) {
    super()
    this.#options = resolveMeshOptions(options)
    this.node = options.node
    this.self = peerId(options.node.peerId.toString())
    this.#relay = new RelaySession({
      node: this.node,
      relay: this.#options.relay,
      room: this.#options.room,
      dialTimeoutMs: this.#options.dialTimeoutMs,
      reservationTimeoutMs: this.#options.dialTimeoutMs,
      expectWebRTC: this.#options.webRTC,
      backoff: this.#options.relayBackoff,
      maxMembers: MAX_DIRECTORY_MEMBERS,
    })
    this.#relay.on('state', ({ detail }) => {
      this.emit('relay-state', {
        state: detail.state,
        ...(detail.error === undefined ? {} : { error: detail.error }),
      })
    })
    this.#relay.on('snapshot', ({ detail }) => this.#onSnapshot(detail.members))
    this.#relay.on('member', ({ detail }) => this.#onMember(detail))
    this.#relay.on('left', ({ detail }) => this.#onLeft(detail.peer))
  }

  /** Starts the node, serves `/meshlog/1.0.0`, joins the room. Idempotent. */
  start(): Promise<void> {
    if (this.#running !== undefined) return this.#starting ?? Promise.resolve()
    this.#running = new AbortController()
    const running = this.#running
    this.#starting = (async () => {
      try {
        await this.node.start()
        this.#unhandle = await handleLinks(
          this.node,
          (link) => this.#adopt(link),
          this.#options.link,
        )
        this.#relay.start()
      } catch (err) {
        // A node that cannot start leaves nothing running: start() may be tried again.
        running.abort()
        if (this.#running === running) this.#running = undefined
        await Promise.resolve(this.node.stop()).catch(() => {})
        throw err
      }
    })()
    return this.#starting
  }

  /** Leaves the room, closes every link, stops the node; bounded by `stopTimeoutMs`. Idempotent. */
  stop(): Promise<void> {
    const running = this.#running
    if (running === undefined) return this.#stopping ?? Promise.resolve()
    this.#running = undefined
    running.abort()
    this.#stopping = this.#stop()
    return this.#stopping
  }

  async #stop(): Promise<void> {
    await this.#starting?.catch(() => {})
    for (const state of this.#peers.values()) this.#clearTimer(state)
    this.#dialQueue.length = 0
    const links = [...this.#peers.values()].flatMap((s) => (s.link === undefined ? [] : [s.link]))
    for (const link of links) link.close()
    const deadline = deadlineSignal(this.#options.stopTimeoutMs)
    const expired = new Promise<void>((resolve) => {
      deadline.addEventListener('abort', () => resolve(), { once: true })
    })
    await Promise.race([
      Promise.all([this.#relay.stop(), ...links.map((l) => l.closed), this.#unhandle?.()]),
      expired,
    ])
    // Past the deadline the node keeps stopping in the background; its failure is moot then.
    await Promise.race([Promise.resolve(this.node.stop()).catch(() => {}), expired])
    this.#peers.clear()
  }

  /** The current link to each linked peer. */
  links(): Map<PeerId, StreamLink> {
    const out = new Map<PeerId, StreamLink>()
    for (const state of this.#peers.values()) {
      if (state.link !== undefined) out.set(state.peer, state.link)
    }
    return out
  }

  /** Room members (not us), as the directory reports them. */
  members(): PeerId[] {
    return [...this.#peers.values()].filter((s) => s.member !== undefined).map((s) => s.peer)
  }

  status(): MeshStatus {
    const peers = [...this.#peers.values()].map(peerStatus)
    const lastError = this.#relay.lastError?.message
    return {
      self: this.self,
      started: this.#running !== undefined,
      room: this.#options.room,
      relay: {
        addr: this.#options.relay.toString(),
        state: this.#relay.state,
        failures: this.#relay.failures,
        ...(lastError === undefined ? {} : { lastError }),
      },
      peers,
      counters: { ...this.#counters },
    }
  }

  // --- membership ----------------------------------------------------------

  #onSnapshot(members: readonly DirectoryMember[]): void {
    const present = new Set(members.map((m) => m.peer))
    for (const state of [...this.#peers.values()]) {
      if (state.member !== undefined && !present.has(state.peer)) this.#forgetMember(state)
    }
    for (const member of members) this.#onMember(member, false)
    this.#emitPeers()
  }

  #onMember(member: DirectoryMember, announce = true): void {
    if (member.peer === this.self || this.#running === undefined) return
    const state = this.#stateFor(member.peer)
    if (state === undefined) return
    const hadWebRTC = state.member !== undefined && canUseWebRTC(state.member, this.#options)
    const isNew = state.member === undefined
    state.member = member
    // A WebRTC address appearing is worth an upgrade attempt now, not after the backoff.
    if (!hadWebRTC && canUseWebRTC(member, this.#options)) state.upgradeFailures = 0
    this.#schedule(state)
    if (announce && isNew) this.#emitPeers()
  }

  #onLeft(peer: string): void {
    const state = this.#peers.get(peer)
    if (state === undefined) return
    this.#forgetMember(state)
    this.#emitPeers()
  }

  /**
   * Not in the room any more: stop dialling. The relay saw the peer's
   * connection end, which may be the relay's own trouble, so an open link is
   * not closed on its word: it must answer a ping or it is closed.
   */
  #forgetMember(state: PeerState): void {
    state.member = undefined
    this.#clearTimer(state)
    // A dial in flight targets the peer as it was; if it comes back it is dialled afresh.
    state.dialAbort?.abort()
    const link = state.link
    if (link !== undefined) {
      link.ping(this.#options.probeTimeoutMs).catch((err: unknown) => {
        if (link.isClosed) return
        this.#counters.linksFailedProbe++
        link.close(err instanceof Error ? err : new Error(String(err)))
      })
    } else if (!state.dialing) {
      this.#release(state)
    }
  }

  /** Drops a peer we no longer track; a member left out by `maxPeers` may take its place. */
  #release(state: PeerState): void {
    this.#clearTimer(state)
    this.#peers.delete(state.peer)
    if (this.#running === undefined) return
    for (const member of this.#relay.members.values()) {
      if (this.#peers.size >= this.#options.maxPeers) return
      if (!this.#peers.has(member.peer)) this.#onMember(member, false)
    }
  }

  #emitPeers(): void {
    this.emit('peers-changed', { peers: this.members() })
  }

  #stateFor(peer: string): PeerState | undefined {
    const existing = this.#peers.get(peer)
    if (existing !== undefined) return existing
    if (this.#peers.size >= this.#options.maxPeers) {
      this.#counters.refusedOverMaxPeers++
      return undefined
    }
    const state = newPeerState(peerId(peer))
    this.#peers.set(peer, state)
    return state
  }

  // --- dialling ------------------------------------------------------------

  /** Decides whether and when to dial `state.peer` next, and arms the timer. */
  #schedule(state: PeerState): void {
    this.#clearTimer(state)
    const member = state.member
    if (this.#running === undefined || member === undefined || state.dialing || state.queued) return
    const delay = nextDialDelay(
      {
        designatedDialer: isDesignatedDialer(this.self, state.peer),
        linkKind: state.link?.kind,
        webRTCPossible: canUseWebRTC(member, this.#options),
        failures: state.failures,
        upgradeFailures: state.upgradeFailures,
      },
      this.#options,
    )
    if (delay === undefined) return
    state.nextAttemptAt = Date.now() + delay
    state.timer = setTimeout(() => {
      state.timer = undefined
      state.nextAttemptAt = undefined
      this.#enqueue(state)
    }, delay)
  }

  #clearTimer(state: PeerState): void {
    if (state.timer !== undefined) clearTimeout(state.timer)
    state.timer = undefined
    state.nextAttemptAt = undefined
  }

  #enqueue(state: PeerState): void {
    if (state.queued || state.dialing) return
    state.queued = true
    this.#dialQueue.push(state.peer)
    this.#pumpDials()
  }

  #pumpDials(): void {
    while (this.#activeDials < this.#options.dialConcurrency && this.#running !== undefined) {
      const next = this.#dialQueue.shift()
      if (next === undefined) return
      const state = this.#peers.get(next)
      if (state === undefined) continue
      state.queued = false
      void this.#dial(state, this.#running.signal)
    }
  }

  async #dial(state: PeerState, stopped: AbortSignal): Promise<void> {
    const member = state.member
    if (member === undefined) return
    const upgrading = state.link !== undefined
    // An upgrade only tries what would be better than the relayed link it has.
    const routes: DialRoute[] = routesTo(member, this.#options).filter(
      (r) => !upgrading || r !== 'relayed',
    )
    if (routes.length === 0) return
    state.dialing = true
    state.dialAbort = new AbortController()
    const signal = AbortSignal.any([stopped, state.dialAbort.signal])
    this.#activeDials++
    this.#counters.dials++
    try {
      const link = await this.#options.dialPeer(
        member,
        routes,
        this.#dialerOptions(state.peer, upgrading),
        signal,
      )
      if (routes[0] === 'webrtc' && link.kind !== 'webrtc') this.#counters.webRTCFallbacks++
      state.failures = 0
      state.lastError = undefined
      if (link.kind === 'relayed' && canUseWebRTC(member, this.#options)) state.upgradeFailures++
      this.#adopt(link)
    } catch (err) {
      if (signal.aborted) return
      this.#counters.dialFailures++
      state.lastError = err instanceof Error ? err.message : String(err)
      if (upgrading) state.upgradeFailures++
      else state.failures++
    } finally {
      state.dialing = false
      state.dialAbort = undefined
      this.#activeDials--
      if (state.member === undefined && state.link === undefined) this.#release(state)
      else this.#schedule(state)
      this.#pumpDials()
    }
  }

  #dialerOptions(peer: PeerId, upgrade: boolean): PeerDialerOptions {
    return {
      node: this.node,
      relay: this.#options.relay,
      webRTC: this.#options.webRTC,
      dialTimeoutMs: this.#options.dialTimeoutMs,
      // A first dial tries WebRTC once and links over the relay if that fails;
      // upgrades retry it while the relayed link carries the traffic.
      webRTCAttempts: upgrade ? this.#options.webRTCAttempts : 1,
      webRTCAttemptTimeoutMs: this.#options.webRTCAttemptTimeoutMs,
      webRTCAttemptTimeoutMaxMs: this.#options.webRTCAttemptTimeoutMaxMs,
      backoff: this.#options.peerBackoff,
      link: this.#options.link,
      onAttemptFailed: ({ route, attempt, error }) =>
        this.emit('dial-attempt-failed', { peer, route, attempt, upgrade, error }),
    }
  }

  // --- links ---------------------------------------------------------------

  /** Takes a new link (dialled or accepted) if it is the peer's best; closes the loser. */
  #adopt(link: StreamLink): void {
    if (this.#running === undefined || link.remotePeer === this.self) {
      link.close()
      return
    }
    const state = this.#stateFor(link.remotePeer)
    if (state === undefined) {
      link.close(new DialError('peer limit reached', { details: { peer: link.remotePeer } }))
      return
    }
    const current = state.link
    if (current !== undefined && !current.isClosed) {
      if (!prefersCandidate(this.#facts(current), this.#facts(link))) {
        this.#counters.duplicateLinksClosed++
        link.close()
        return
      }
      this.#counters.linksReplaced++
    }
    state.link = link
    state.failures = 0
    this.#counters.linksUp++
    void link.closed.then(() => this.#onLinkClosed(state, link))
    this.emit('link-up', {
      peer: state.peer,
      link,
      ...(current === undefined || current.isClosed ? {} : { replaced: current }),
    })
    if (current !== undefined && !current.isClosed) {
      current.close()
      this.emit('link-down', { peer: state.peer, link: current, replacedBy: link })
    }
    if (link.kind !== 'relayed') {
      this.#counters.relayedConnectionsClosed += closeIdleCircuitsTo(this.node, state.peer)
    }
    this.#schedule(state)
  }

  #onLinkClosed(state: PeerState, link: StreamLink): void {
    this.#counters.linksDown++
    if (state.link !== link) return // replaced: link-down was emitted then
    state.link = undefined
    const reason = link.closeReason
    this.emit('link-down', { peer: state.peer, link, ...(reason === undefined ? {} : { reason }) })
    if (this.#running === undefined) return
    closeConnectionsTo(this.node, state.peer)
    if (state.member === undefined && !state.dialing) {
      this.#release(state)
      return
    }
    this.#schedule(state)
  }

  #facts(link: StreamLink) {
    return {
      kind: link.kind,
      openedBy: link.initiator === 'local' ? this.self : link.remotePeer,
      openedAt: link.openedAt,
    }
  }
}
