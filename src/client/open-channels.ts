/**
 * The channels a MeshLog opened, as the page remembers them: the options
 * the worker got (a restarted worker gets them back), whether the replica
 * set follows the mesh room, and the subscription that turns the channel's
 * entries into `entry` events. A channel stays here from `open` until
 * `closeChannel`, across worker restarts.
 */
import type { Remote } from 'comlink'
import type { Entry } from '../core/log/entry.js'
import type { ChannelId, PeerId } from '../core/log/ids.js'
import { sameMembers } from '../core/sync/epoch/replica-sets.js'
import type { WorkerApi, WorkerChannelOptions } from '../rpc/worker-api.js'
import type { CallOptions } from './call-deadline.js'
import type { ClientSubscription } from './client-subscription.js'
import type { SubscriptionBook } from './subscription-book.js'
import type { WorkerSupervisor } from './worker-supervisor.js'

interface OpenChannel {
  readonly options: WorkerChannelOptions
  /** Opened with `replicaSet: 'room'`: its set follows the room. */
  readonly room: boolean
  feed: ClientSubscription | undefined
}

export interface OpenedChannel {
  /** The options the worker opened it with. */
  readonly options: WorkerChannelOptions
  /** Its replica set follows the room. */
  readonly room: boolean
  /** The room's members now, when the page is in a room. */
  readonly roomPeers: readonly PeerId[] | undefined
  /** Emit `entry` events for it, from `from` on. */
  readonly entryEvents: boolean
  readonly from: number
}

export class OpenChannels {
  readonly #channels = new Map<ChannelId, OpenChannel>()
  readonly #supervisor: WorkerSupervisor
  readonly #subscriptions: SubscriptionBook
  readonly #onEntries: (channel: ChannelId, entries: readonly Entry[]) => void
  readonly #closing: () => boolean

  constructor(options: {
    readonly supervisor: WorkerSupervisor
    readonly subscriptions: SubscriptionBook
    readonly onEntries: (channel: ChannelId, entries: readonly Entry[]) => void
    /** The MeshLog is closing: a failed update is expected, not worth a warning. */
    readonly closing: () => boolean
  }) {
    this.#supervisor = options.supervisor
    this.#subscriptions = options.subscriptions
    this.#onEntries = options.onEntries
    this.#closing = options.closing
  }

  /** In the order they were opened. */
  get ids(): readonly ChannelId[] {
    return [...this.#channels.keys()]
  }

  /** Notes a channel the worker has just opened, and starts or stops its `entry` events. */
  async opened(channel: ChannelId, opened: OpenedChannel, call: CallOptions): Promise<void> {
    const { options, room } = opened
    const open = this.#channels.get(channel) ?? { options, room, feed: undefined }
    this.#channels.set(channel, { ...open, options, room })
    // Members seen while the worker opened the channel: give it the set now.
    if (
      room &&
      opened.roomPeers !== undefined &&
      !sameMembers(opened.roomPeers, options.replicaSet)
    )
      await this.followRoom(opened.roomPeers)
    if (opened.entryEvents && open.feed === undefined)
      await this.#startFeed(channel, opened.from, call)
    if (!opened.entryEvents && open.feed !== undefined) await this.#stopFeed(channel, call)
  }

  /** Forgets a channel and ends its `entry` events; the caller closes it in the worker. */
  async closed(channel: ChannelId, call: CallOptions): Promise<void> {
    await this.#stopFeed(channel, call)
    this.#channels.delete(channel)
  }

  /** Gives every room channel the room's members as its replica set, in place. */
  async followRoom(peers: readonly PeerId[]): Promise<void> {
    for (const [channel, open] of this.#channels) {
      if (!open.room || sameMembers<string>(open.options.replicaSet, peers)) continue
      this.#channels.set(channel, { ...open, options: { ...open.options, replicaSet: peers } })
      try {
        await this.#supervisor.call('setReplicaSet', (api) => api.setReplicaSet(channel, peers))
      } catch (error) {
        // Closed or crashed: a restarted worker reopens the channel with the set stored above.
        if (!this.#closing()) console.warn('meshlog: replica set not updated', error)
      }
    }
  }

  /** Opens every channel again in a restarted worker. */
  async restore(api: Remote<WorkerApi>): Promise<void> {
    for (const [channel, open] of this.#channels) await api.open(channel, open.options)
  }

  async #startFeed(channel: ChannelId, from: number, call: CallOptions): Promise<void> {
    const feed = await this.#subscriptions.add(
      channel,
      from,
      (entries) => this.#onEntries(channel, entries),
      undefined,
      call,
    )
    const open = this.#channels.get(channel)
    if (open === undefined) await this.#subscriptions.remove(feed, call)
    else open.feed = feed
  }

  async #stopFeed(channel: ChannelId, call: CallOptions): Promise<void> {
    const open = this.#channels.get(channel)
    const feed = open?.feed
    if (open === undefined || feed === undefined) return
    open.feed = undefined
    await this.#subscriptions.remove(feed, call)
  }
}
