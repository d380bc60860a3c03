/**
 * Helpers for MeshLog browser tests: a fresh namespace per test (so slots,
 * databases and the tab channel never meet another test's), waiting on
 * events rather than sleeping, and cleaning up the databases afterwards.
 */
import { deleteDB } from 'idb'
import { commands } from 'vitest/browser'
import type { MeshLog } from '../src/client/mesh-log.js'
import type { MeshLogEvents } from '../src/client/mesh-log-events.js'
import type { ReplicaRole } from '../src/core/replication/messages.js'

export function freshNamespace(label: string): string {
  return `t-${label}-${crypto.randomUUID().slice(0, 8)}`
}

/** Resolves with the first `type` event matching `match`, or rejects after `timeoutMs`. */
export function nextEvent<K extends keyof MeshLogEvents & string>(
  log: MeshLog,
  type: K,
  match: (detail: MeshLogEvents[K]) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<MeshLogEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`no ${type} event within ${timeoutMs} ms`))
    }, timeoutMs)
    const off = log.on(type, (event) => {
      if (!match(event.detail)) return
      clearTimeout(timer)
      off()
      resolve(event.detail)
    })
  })
}

export async function roleOf(log: MeshLog, channel: string): Promise<ReplicaRole | undefined> {
  const status = await log.status()
  return status.channels.find((c) => c.channel === channel)?.role
}

/** Waits until `log` holds `role` on `channel` (listening first, so no change is missed). */
export async function untilRole(log: MeshLog, channel: string, role: ReplicaRole): Promise<void> {
  const changed = nextEvent(log, 'role-changed', (e) => e.channel === channel && e.to === role)
  changed.catch(() => undefined)
  if ((await roleOf(log, channel)) === role) return
  await changed
}

/** Waits until the log's local tail on `channel` reaches `nextSeq`. */
export async function untilTail(
  log: MeshLog,
  channel: string,
  nextSeq: number,
  timeoutMs = 60_000,
): Promise<void> {
  const reached = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`${log.peerId} did not reach ${nextSeq} on ${channel} in ${timeoutMs} ms`))
    }, timeoutMs)
    const off = log.on('entry', (event) => {
      const last = event.detail.entries[event.detail.entries.length - 1]
      if (event.detail.channel !== channel || last === undefined || last.seq + 1 < nextSeq) return
      clearTimeout(timer)
      off()
      resolve()
    })
    log.stored(channel).then((stored) => {
      if (stored.nextSeq < nextSeq) return
      clearTimeout(timer)
      off()
      resolve()
    }, reject)
  })
  await reached
}

export async function readAll(log: MeshLog, channel: string) {
  const out = []
  for await (const entry of log.read(channel)) out.push(entry)
  return out
}

export async function deleteNamespace(namespace: string, slots: number): Promise<void> {
  const names = [`${namespace}-identity`, `${namespace}-keys`]
  for (let slot = 0; slot < slots; slot++) names.push(`${namespace}-slot-${slot}`)
  await Promise.all(names.map((name) => deleteDB(name)))
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
export const text = (payload: Uint8Array): string => new TextDecoder().decode(payload)

/**
 * Waits until exactly one of `logs` leads `channel` and every other one
 * follows it as a replica; resolves with the leader. Re-checks on every
 * role or leader change instead of polling.
 */
export async function untilOneLeader(
  logs: readonly MeshLog[],
  channel: string,
  timeoutMs = 20_000,
): Promise<MeshLog> {
  const deadline = performance.now() + timeoutMs
  for (;;) {
    const changed = Promise.race(
      logs.flatMap((log) => [
        nextEvent(log, 'role-changed', (e) => e.channel === channel, timeoutMs),
        nextEvent(log, 'leader-changed', (e) => e.channel === channel, timeoutMs),
      ]),
    )
    changed.catch(() => undefined)
    const statuses = await Promise.all(
      logs.map(async (log) => (await log.status()).channels.find((c) => c.channel === channel)),
    )
    const leaders = statuses.filter((s) => s?.role === 'leader')
    const leader = logs.find((log) => log.peerId === leaders[0]?.leader)
    if (
      leaders.length === 1 &&
      leader !== undefined &&
      statuses.every(
        (s) => s?.role === 'leader' || (s?.role === 'replica' && s.leader === leader.peerId),
      )
    ) {
      return leader
    }
    if (performance.now() > deadline) {
      throw new Error(
        `no single leader on ${channel}: ${JSON.stringify(statuses.map((s) => [s?.role, s?.leader]))}`,
      )
    }
    await changed
  }
}

/**
 * Runs `body` while no other test of the suite runs in any browser
 * (test/exclusive-commands.ts): for measurements that CPU contention from
 * the other tests would distort. Trades this test's shared hold (taken for
 * every test in test/browser-setup.ts) for the exclusive one, and back.
 */
export async function exclusively<T>(name: string, body: () => Promise<T>): Promise<T> {
  await commands.releaseShared(name)
  await commands.acquireExclusive(name)
  try {
    return await body()
  } finally {
    await commands.releaseExclusive(name)
    await commands.acquireShared(name)
  }
}
