import type { Connection } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { afterEach, describe, expect, it } from 'vitest'
import { DirectoryClient } from '../net/directory/directory-client.js'
import {
  DIRECTORY_PROTOCOL,
  decodeServerMessage,
  encodeDirectoryMessage,
} from '../net/directory/directory-messages.js'
import type { MeshNode } from '../net/edge-node.js'
import { DirectoryError } from '../net/net-errors.js'
import type { RelayLimits } from './relay-limits.js'
import type { Relay } from './relay-node.js'
import { TestNet } from './test-harness.js'

const net = new TestNet()
afterEach(() => net.stopAll())

interface Peer {
  node: MeshNode
  id: string
  relayConnection: Connection
  /** An address the directory accepts from this peer (ends in its own id). */
  addr: string
}

async function setup(limits: Partial<RelayLimits> = {}): Promise<{
  relay: Relay
  peer: () => Promise<Peer>
}> {
  const relay = await net.relay({ limits })
  const relayAddr = relay.multiaddrs[0]
  if (relayAddr === undefined) throw new Error('relay has no address')
  return {
    relay,
    peer: async () => {
      const node = await net.node({ reachableViaRelay: false })
      const relayConnection = await node.dial(relayAddr, { signal: AbortSignal.timeout(10_000) })
      const id = node.peerId.toString()
      return { node, id, relayConnection, addr: `${relayAddr.toString()}/p2p-circuit/p2p/${id}` }
    },
  }
}

function join(peer: Peer, room = 'room-a', addrs = [peer.addr]): Promise<DirectoryClient> {
  return DirectoryClient.join(peer.relayConnection, peer.id, room, addrs, { timeoutMs: 5_000 })
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(DirectoryError)
  return (err as DirectoryError).details.reason
}

function nextEvent<K extends 'member' | 'left' | 'closed'>(client: DirectoryClient, type: K) {
  return new Promise<Parameters<Parameters<DirectoryClient['on']>[1]>[0]['detail']>((resolve) => {
    client.on(type, (event) => resolve(event.detail), { once: true })
  })
}

describe('joining a room', { timeout: 20_000 }, () => {
  it('answers with the current members, and pushes the newcomer to them', async () => {
    const { peer, relay } = await setup()
    const [a, b] = [await peer(), await peer()]
    const clientA = await join(a)
    expect([...clientA.members.keys()]).toEqual([])
    const seenByA = nextEvent(clientA, 'member')
    const clientB = await join(b)
    expect([...clientB.members.values()]).toEqual([{ peer: a.id, addrs: [a.addr] }])
    expect(await seenByA).toEqual({ peer: b.id, addrs: [b.addr] })
    expect(
      relay.directory
        .members('room-a')
        .map((m) => m.peer)
        .sort(),
    ).toEqual([a.id, b.id].sort())
  })

  it('keeps rooms apart', async () => {
    const { peer } = await setup()
    const [a, b] = [await peer(), await peer()]
    await join(a, 'room-a')
    const clientB = await join(b, 'room-b')
    expect(clientB.members.size).toBe(0)
  })

  it('pushes a member whose addresses changed', async () => {
    const { peer } = await setup()
    const [a, b] = [await peer(), await peer()]
    const clientA = await join(a)
    const joined = nextEvent(clientA, 'member')
    const clientB = await join(b)
    await joined
    const seen = nextEvent(clientA, 'member')
    const newer = `${b.addr.replace('/p2p-circuit/', '/p2p-circuit/webrtc/')}`
    await clientB.update([newer, b.addr])
    expect(await seen).toEqual({ peer: b.id, addrs: [newer, b.addr] })
  })
})

describe('leaving and expiry: membership lasts as long as the stream', { timeout: 20_000 }, () => {
  it('a member that closes its stream is pushed as left', async () => {
    const { peer, relay } = await setup()
    const [a, b] = [await peer(), await peer()]
    const clientA = await join(a)
    const clientB = await join(b)
    const left = nextEvent(clientA, 'left')
    clientB.close()
    expect(await left).toEqual({ peer: b.id })
    expect(clientA.members.size).toBe(0)
    await expect.poll(() => relay.directory.stats().members).toBe(1)
  })

  it('a member whose connection drops expires', async () => {
    const { peer, relay } = await setup()
    const [a, b] = [await peer(), await peer()]
    const clientA = await join(a)
    await join(b)
    const left = nextEvent(clientA, 'left')
    await b.node.stop()
    expect(await left).toEqual({ peer: b.id })
    await expect.poll(() => relay.directory.stats()).toMatchObject({ rooms: 1, members: 1 })
  })

  it('an emptied room is dropped', async () => {
    const { peer, relay } = await setup()
    const a = await peer()
    const client = await join(a)
    client.close()
    await expect.poll(() => relay.directory.stats().rooms).toBe(0)
  })

  it('joining again replaces the old entry without a "left"', async () => {
    const { peer, relay } = await setup()
    const [a, b] = [await peer(), await peer()]
    const clientA = await join(a)
    const first = await join(b)
    const firstClosed = nextEvent(first, 'closed')
    let leftSeen = false
    clientA.on('left', () => {
      leftSeen = true
    })
    await join(b)
    const { error } = (await firstClosed) as { error: Error | undefined }
    expect(error).toBeInstanceOf(DirectoryError)
    expect((error as DirectoryError).details.reason).toBe('replaced')
    expect(relay.directory.members('room-a')).toHaveLength(2)
    expect(leftSeen).toBe(false)
  })

  it('tells members when the relay shuts down, without a "left" for each other', async () => {
    const { peer, relay } = await setup()
    const client = await join(await peer())
    const other = await join(await peer())
    await expect.poll(() => client.members.size).toBe(1)
    let leftSeen = false
    client.on('left', () => {
      leftSeen = true
    })
    const otherClosed = nextEvent(other, 'closed')
    const closed = nextEvent(client, 'closed')
    await relay.stop()
    const { error } = (await closed) as { error: Error | undefined }
    await otherClosed
    expect(error).toBeInstanceOf(DirectoryError)
    expect((error as DirectoryError).details.reason).toBe('shutting-down')
    expect(client.isClosed).toBe(true)
    expect(leftSeen).toBe(false)
  })
})

describe('bounds', { timeout: 20_000 }, () => {
  it('refuses a member over maxMembersPerRoom', async () => {
    const { peer, relay } = await setup({ maxMembersPerRoom: 2 })
    await join(await peer())
    await join(await peer())
    expect(await refusal(join(await peer()))).toBe('room-full')
    expect(relay.directory.stats().refused['room-full']).toBe(1)
  })

  it('refuses a room over maxRooms', async () => {
    const { peer } = await setup({ maxRooms: 1 })
    await join(await peer(), 'one')
    expect(await refusal(join(await peer(), 'two'))).toBe('too-many-rooms')
  })

  it('refuses addresses that are not the joining peer’s own', async () => {
    const { peer } = await setup()
    const [a, b] = [await peer(), await peer()]
    expect(await refusal(join(a, 'room-a', [b.addr]))).toBe('not-your-address')
  })

  it('drops a member whose pushes pile up (slow consumer)', async () => {
    const { peer, relay } = await setup({ maxQueuedDirectoryMessages: 2 })
    for (let i = 0; i < 3; i++) await join(await peer())
    // The snapshot for a fourth member is 3 members + welcome: more than 2 queued pushes.
    expect(await refusal(join(await peer()))).toBe('slow-consumer')
    expect(relay.directory.stats().droppedSlow).toBe(1)
  })

  it('refuses a join that does not arrive within the deadline', async () => {
    const { peer, relay } = await setup({ directoryJoinTimeoutMs: 200 })
    const a = await peer()
    const stream = await a.relayConnection.newStream(DIRECTORY_PROTOCOL)
    const lp = lpStream(stream)
    const reply = decodeServerMessage(
      (await lp.read({ signal: AbortSignal.timeout(5_000) })).subarray(),
    )
    expect(reply).toMatchObject({ t: 'error', code: 'join-timeout' })
    expect(relay.directory.stats().refused['join-timeout']).toBe(1)
  })

  it('refuses malformed and oversized messages', async () => {
    const { peer, relay } = await setup({ maxDirectoryMessageBytes: 512 })
    const a = await peer()
    for (const bytes of [
      new TextEncoder().encode('{"t":"join","room":"bad room!","addrs":[]}'),
      new TextEncoder().encode('not json'),
      encodeDirectoryMessage(
        { t: 'join', room: 'r', addrs: [`${a.addr}${'x'.repeat(400)}`] },
        4096,
      ),
    ]) {
      const stream = await a.relayConnection.newStream(DIRECTORY_PROTOCOL)
      const lp = lpStream(stream)
      await lp.write(bytes)
      const reply = await lp.read({ signal: AbortSignal.timeout(5_000) }).then(
        (r) => decodeServerMessage(r.subarray()),
        () => ({ t: 'reset' }),
      )
      // Oversized input may be cut off by the length limit before any reply.
      expect(['error', 'reset']).toContain(reply.t)
      if (reply.t === 'error') expect(reply).toMatchObject({ code: 'invalid-message' })
    }
    expect(relay.directory.stats().refused['invalid-message']).toBe(3)
  })
})
