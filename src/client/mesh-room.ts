/**
 * The mesh room as a MeshLog's page takes part in it: each link the
 * transport makes joins the frame port, and every member seen (linked, or
 * listed by the relay's directory) joins the replica set of the channels
 * opened with `replicaSet: 'room'` (room-replica-set.ts says who stays).
 */
import type { PeerId } from '../core/log/ids.js'
import type { PageFramePort } from '../rpc/page-frame-port.js'
import type { MeshTransport } from './mesh-transport.js'
import type { OpenChannels } from './open-channels.js'
import { RoomReplicaSet } from './room-replica-set.js'

export class MeshRoom {
  readonly #members: RoomReplicaSet
  readonly #channels: OpenChannels

  constructor(options: {
    readonly mesh: MeshTransport
    readonly self: PeerId
    /** Names where the members seen are remembered (localStorage). */
    readonly namespace: string
    readonly framePort: PageFramePort
    readonly channels: OpenChannels
    /** The MeshLog is closing: a new link is closed, not attached. */
    readonly closing: () => boolean
  }) {
    const { mesh, framePort } = options
    this.#channels = options.channels
    this.#members = new RoomReplicaSet(
      options.self,
      `${options.namespace}-room-${mesh.room}`,
      typeof localStorage === 'undefined' ? undefined : localStorage,
    )
    mesh.on('link-up', ({ detail }) => {
      if (options.closing()) {
        detail.link.close()
        return
      }
      framePort.attachLink(detail.link)
      // Links are made only within the room: a linked peer is a member, even
      // before the directory's listing of it reached this page.
      this.#see([detail.link.remotePeer])
    })
    mesh.on('members-changed', ({ detail }) => this.#see(detail.members))
  }

  /** This peer first, then every member seen, by id. */
  get peers(): PeerId[] {
    return this.#members.peers
  }

  #see(members: readonly PeerId[]): void {
    if (this.#members.see(members)) void this.#channels.followRoom(this.#members.peers)
  }
}
