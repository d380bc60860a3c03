/**
 * Signed entries in the browser (on by default): each tab signs with its
 * slot's libp2p Ed25519 key and is known by that key's peer id, replicas
 * verify every author's signature, and a peer that serves a forged entry
 * gets nothing into the log.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, describe, expect, it } from 'vitest'
import { server } from 'vitest/browser'
import {
  bytes,
  deleteNamespace,
  exclusively,
  freshNamespace,
  readAll,
  text,
  untilOneLeader,
  untilTail,
} from '../../test/mesh-log-kit.js'
import { signDrafts, signedMessageOf } from '../core/crypto/entry-signing.js'
import { type TestAuthor, testAuthor } from '../core/crypto/test-authors.js'
import { type Entry, GENESIS_HASH } from '../core/log/entry.js'
import { sealEntries } from '../core/log/entry-chain.js'
import { loadEntryHasher } from '../core/log/entry-hasher.js'
import { channelId, type Seq } from '../core/log/ids.js'
import { memoryLinkPair } from '../core/transport/memory-link.js'
import { decodeFrame, encodeFrame } from '../core/wire/frame-codec.js'
import { MeshLog } from './mesh-log.js'

const BULK_ENTRIES = 20_000
const BULK_APPEND = 1_000

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function statusOf(log: MeshLog, channel: string) {
  return (await log.status()).channels.find((c) => c.channel === channel)
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe(`signed entries in ${server.browser}`, () => {
  it('two tabs exchange entries signed by their libp2p keys, and each verifies', async () => {
    const namespace = freshNamespace('signed')
    const a = await MeshLog.create({ namespace, heartbeatMs: 50 })
    const b = await MeshLog.create({ namespace, heartbeatMs: 50 })
    cleanups.push(async () => {
      await Promise.all([a.close(), b.close()])
      await deleteNamespace(namespace, 2)
    })
    // The peer id is the slot key's libp2p peer id.
    for (const log of [a, b]) expect(peerIdFromString(log.peerId).type).toBe('Ed25519')

    const replicaSet = [a.peerId, b.peerId]
    await Promise.all([a.open('chat', { replicaSet }), b.open('chat', { replicaSet })])
    const leader = await untilOneLeader([a, b], 'chat')
    const replica = leader === a ? b : a
    await leader.appendMany('chat', ['one', 'two', 'three'].map(bytes))
    await untilTail(replica, 'chat', 3)

    const entries = await readAll(replica, 'chat')
    expect(entries.map((e) => text(e.payload))).toEqual(['one', 'two', 'three'])
    const hasher = await loadEntryHasher()
    for (const entry of entries) {
      expect(entry.author).toBe(leader.peerId)
      // Checked here with libp2p's own verifier: the author's peer id is its key.
      const key = peerIdFromString(entry.author).publicKey
      // Three writes appended at once are one signed group: the signature covers its root.
      expect(entry.groupProof).toBeDefined()
      const message = signedMessageOf(hasher, channelId('chat'), entry) as Uint8Array
      expect(await key?.verify(message, entry.signature as Uint8Array)).toBe(true)
    }
    expect((await statusOf(replica, 'chat'))?.metrics.forgedEntriesTotal).toBe(0)
  })

  it('a forged entry from the leader is rejected, counted and never stored', async () => {
    const namespace = freshNamespace('forged')
    const log = await MeshLog.create({ namespace, heartbeatMs: 50, tabLinks: false })
    cleanups.push(async () => {
      await log.close()
      await deleteNamespace(namespace, 1)
    })
    // A scripted leader on the page: it leads `chat` with three writes of
    // its own, but answers the first request with Mallory's signatures.
    const leader = testAuthor(41)
    const mallory = testAuthor(42)
    const chat = channelId('chat')
    const hasher = await loadEntryHasher()
    const writes = async (by: TestAuthor): Promise<Entry[]> => {
      const drafts = ['x', 'y', 'z'].map((t, i) => ({
        author: by.author,
        authorSeq: i,
        payload: bytes(t),
      }))
      const signed = await signDrafts(by.signer, hasher, chat, drafts)
      const inLeadersName = signed.map((d) => ({ ...d, author: leader.author }))
      return sealEntries(hasher, chat, { nextSeq: 0 as Seq, lastHash: GENESIS_HASH }, inLeadersName)
    }
    const forged = await writes(mallory)
    const genuine = await writes(leader)
    const [toLeader, atLeader] = memoryLinkPair(log.peerId, leader.author)
    log.attachLink(toLeader)
    const served: string[] = []
    let stopped = false
    const beat = setInterval(() => {
      const heartbeat = {
        channelId: chat,
        tailSeq: 3 as Seq,
        role: 'leader' as const,
        wallClockMs: 0,
      }
      atLeader.send(encodeFrame({ kind: 'heartbeat', message: heartbeat })).catch(() => undefined)
    }, 50)
    cleanups.push(async () => {
      stopped = true
      clearInterval(beat)
      atLeader.close()
    })
    void (async () => {
      for await (const bytes of atLeader.frames) {
        if (stopped) return
        const frame = decodeFrame(bytes)
        if (frame.kind !== 'sync-request') continue
        const entries = served.length === 0 ? forged : genuine
        served.push(entries === forged ? 'forged' : 'genuine')
        const { requestId, sinceSeq } = frame.message
        await atLeader.send(
          encodeFrame({
            kind: 'sync-response',
            message: {
              channelId: chat,
              firstSeq: sinceSeq,
              leaderFirstRetainedSeq: 0 as Seq,
              entries: entries.slice(sinceSeq),
              requestId,
            },
          }),
        )
      }
    })()

    await log.open('chat', { replicaSet: [log.peerId, leader.author] })
    await until(async () => served.includes('genuine'), 'a second request')
    await untilTail(log, 'chat', 3)
    const status = await statusOf(log, 'chat')
    expect(status?.role).toBe('replica')
    expect(status?.metrics.forgedEntriesTotal).toBe(1)
    expect(served[0]).toBe('forged')
    // Only the genuine writes are in the log.
    const stored = await readAll(log, 'chat')
    expect(stored.map((e) => e.signature)).toEqual(genuine.map((e) => e.signature))
    expect(stored.map((e) => e.signature)).not.toEqual(forged.map((e) => e.signature))
  })

  // The README's open issue, measured: a leader that signed each append in
  // its runtime loop held heartbeats back, and the replica timed it out.
  // Logs the replica's role changes; only asserts that replication is whole.
  it(
    `replicates ${BULK_ENTRIES} signed entries in appends of ${BULK_APPEND} (role changes logged)`,
    () =>
      exclusively('cpu', async () => {
        const namespace = freshNamespace('signed-bulk')
        const a = await MeshLog.create({ namespace })
        const b = await MeshLog.create({ namespace })
        cleanups.push(async () => {
          await Promise.all([a.close(), b.close()])
          await deleteNamespace(namespace, 2)
        })
        const replicaSet = [a.peerId, b.peerId]
        const channel = { replicaSet, entryEvents: false }
        await Promise.all([a.open('bulk', channel), b.open('bulk', channel)])
        const leader = await untilOneLeader([a, b], 'bulk')
        const replica = leader === a ? b : a
        const roleChanges = { leader: 0, replica: 0 }
        leader.on('role-changed', () => roleChanges.leader++)
        replica.on('role-changed', () => roleChanges.replica++)

        const started = performance.now()
        let next = 0
        const writer = async () => {
          while (next < BULK_ENTRIES) {
            const first = next
            next += BULK_APPEND
            const payloads = Array.from({ length: BULK_APPEND }, (_, i) => bytes(`w${first + i}`))
            await leader.appendMany('bulk', payloads)
          }
        }
        await Promise.all([writer(), writer()])
        const appendedMs = performance.now() - started
        await until(
          async () => (await replica.stored('bulk')).nextSeq >= BULK_ENTRIES,
          'the replica to hold every entry',
          240_000,
        )
        const finishedMs = performance.now() - started
        const metrics = (await statusOf(replica, 'bulk'))?.metrics
        console.log(
          `[signed-bulk ${server.browser}] ${BULK_ENTRIES} entries, appends of ${BULK_APPEND}: ` +
            `appended in ${(appendedMs / 1000).toFixed(1)} s, replicated in ${(finishedMs / 1000).toFixed(1)} s; ` +
            `role changes: replica ${roleChanges.replica}, leader ${roleChanges.leader}; ` +
            `replica electionThrashTotal ${metrics?.electionThrashTotal}`,
        )
        expect(metrics?.forgedEntriesTotal).toBe(0)
      }),
    300_000,
  )
})
