/**
 * The sync service's command mailbox (seed 003: capacity 64): snapshot, add
 * peer and remove peer are applied one at a time, in order, by one loop.
 * Callers never wait for room: a full mailbox refuses at once with
 * MailboxFullError (counted), a closed one with ClosedError (counted), and
 * every accepted command's promise settles: the loop drains queued commands
 * after close.
 *
 * The peer set itself belongs to the manager and outlives the loop, so a
 * stop never has to copy it back (the seed copies actor state into
 * `configured_peers`; sharing one set removes that window).
 */
import { ClosedError } from '../errors.js'
import type { PeerId } from '../log/ids.js'
import type { DropCounter } from '../queue/drop-counter.js'
import { Mailbox } from '../queue/mailbox.js'
import { MailboxFullError } from './sync-errors.js'

export const PEER_COMMAND_MAILBOX_CAPACITY = 64

export type CommandDropReason = 'mailboxFull' | 'actorClosed'

type PeerCommand =
  | { readonly kind: 'snapshot'; readonly reply: (peers: PeerId[]) => void }
  | { readonly kind: 'add-peer'; readonly peer: PeerId; readonly reply: () => void }
  | { readonly kind: 'remove-peer'; readonly peer: PeerId; readonly reply: () => void }

export class PeerCommandLoop {
  readonly #peers: Set<PeerId>
  readonly #mailbox: Mailbox<PeerCommand>
  readonly #drops: DropCounter<CommandDropReason>

  constructor(
    peers: Set<PeerId>,
    drops: DropCounter<CommandDropReason>,
    capacity = PEER_COMMAND_MAILBOX_CAPACITY,
  ) {
    this.#peers = peers
    this.#drops = drops
    this.#mailbox = new Mailbox(capacity)
  }

  get isClosed(): boolean {
    return this.#mailbox.isClosed
  }

  /** Applies commands until closed and drained. */
  async run(): Promise<void> {
    for (;;) {
      const command = await this.#mailbox.receive()
      if (command === undefined) return
      switch (command.kind) {
        case 'snapshot':
          command.reply([...this.#peers])
          break
        case 'add-peer':
          this.#peers.add(command.peer)
          command.reply()
          break
        case 'remove-peer':
          this.#peers.delete(command.peer)
          command.reply()
          break
      }
    }
  }

  close(): void {
    this.#mailbox.close()
  }

  snapshot(): Promise<PeerId[]> {
    return this.#request((reply) => ({ kind: 'snapshot', reply }))
  }

  addPeer(peer: PeerId): Promise<void> {
    return this.#request((reply) => ({ kind: 'add-peer', peer, reply }))
  }

  removePeer(peer: PeerId): Promise<void> {
    return this.#request((reply) => ({ kind: 'remove-peer', peer, reply }))
  }

  #request<T>(make: (reply: (value: T) => void) => PeerCommand): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const command = make(resolve)
      const outcome = this.#mailbox.trySend(command)
      if (outcome === 'queued') return
      const reason: CommandDropReason = outcome === 'full' ? 'mailboxFull' : 'actorClosed'
      this.#drops.record(reason)
      const details = { command: command.kind, capacity: this.#mailbox.capacity }
      reject(
        outcome === 'full'
          ? new MailboxFullError('the sync command mailbox is full', { details })
          : new ClosedError('the sync command mailbox is closed', { details }),
      )
    })
  }
}
