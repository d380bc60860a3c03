import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ClosedError, InvalidArgumentError } from '../core/errors.js'
import { relayedAddrVia } from '../net/addresses.js'
import { handleLinks, openLink } from '../net/meshlog-protocol.js'
import { KeyStoreError } from '../net/net-errors.js'
import type { StreamLink } from '../net/stream-link.js'
import { jsonLineLog } from './json-log.js'
import { loadOrCreateKeyFile } from './relay-key-file.js'
import { DEFAULT_RELAY_LIMITS, LIBRARY_DEFAULT_LIMITS, relayLimits } from './relay-limits.js'
import type { Relay } from './relay-node.js'
import { TestNet } from './test-harness.js'

const net = new TestNet()
const dirs: string[] = []
afterEach(async () => {
  await net.stopAll()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'meshlog-relay-test-'))
  dirs.push(dir)
  return dir
}

function relayAddr(relay: Relay) {
  const addr = relay.multiaddrs[0]
  if (addr === undefined) throw new Error('relay has no address')
  return addr
}

/** A node with a reservation on `relay`, reachable at its circuit address. */
async function reservedNode(relay: Relay) {
  const node = await net.node()
  await node.dial(relayAddr(relay), { signal: AbortSignal.timeout(10_000) })
  await expect
    .poll(() => node.getMultiaddrs().some((a) => a.toString().includes('/p2p-circuit')), {
      timeout: 10_000,
    })
    .toBe(true)
  return node
}

describe('relay limits: raised for replication, still bounded', { timeout: 20_000 }, () => {
  it('our defaults raise every library default that would starve a mesh', () => {
    expect(DEFAULT_RELAY_LIMITS.maxReservations).toBeGreaterThan(
      LIBRARY_DEFAULT_LIMITS.maxReservations,
    )
    expect(DEFAULT_RELAY_LIMITS.relayedConnectionDurationMs).toBeGreaterThan(
      LIBRARY_DEFAULT_LIMITS.relayedConnectionDurationMs,
    )
    expect(DEFAULT_RELAY_LIMITS.relayedConnectionDataBytes).toBeGreaterThan(
      LIBRARY_DEFAULT_LIMITS.relayedConnectionDataBytes,
    )
    expect(DEFAULT_RELAY_LIMITS.inboundConnectionsPerSecondPerHost).toBeGreaterThan(
      LIBRARY_DEFAULT_LIMITS.inboundConnectionsPerSecondPerHost,
    )
  })

  it('refuses unbounded or nonsensical limits', () => {
    expect(() => relayLimits({ maxReservations: 0 })).toThrow(InvalidArgumentError)
    expect(() => relayLimits({ relayedConnectionDataBytes: 0n })).toThrow(InvalidArgumentError)
    expect(() => relayLimits({ maxConnections: Number.POSITIVE_INFINITY })).toThrow(
      InvalidArgumentError,
    )
  })

  it('gives each reservation our duration and data limits', async () => {
    const relay = await net.relay()
    const node = await reservedNode(relay)
    const reservation = relay.node.services.relay.reservations.get(node.peerId)
    expect(reservation?.limit).toEqual({
      duration: DEFAULT_RELAY_LIMITS.relayedConnectionDurationMs,
      data: DEFAULT_RELAY_LIMITS.relayedConnectionDataBytes,
    })
    expect(relay.status().reservations).toBe(1)
  })

  it('pins the units quirk: the client reads our duration in ms as seconds', async () => {
    const relay = await net.relay({ limits: { relayedConnectionDurationMs: 60_000 } })
    const target = await reservedNode(relay)
    const dialer = await net.node({ reachableViaRelay: false })
    const connection = await dialer.dial(
      relayedAddrVia(relayAddr(relay), target.peerId.toString()),
      {
        signal: AbortSignal.timeout(10_000),
      },
    )
    // 60 s enforced by the relay; the client believes 60,000 s are left.
    expect(connection.limits?.seconds).toBeGreaterThan(59_000)
    expect(connection.direct).toBe(false)
  })

  it('passes every limit to the circuit-relay server and the connection manager', async () => {
    const relay = await net.relay({
      limits: { maxReservations: 3, relayedConnectionDurationMs: 1234 },
    })
    // Private fields of the libp2p components: the only place the configuration shows.
    const server = relay.node.services.relay as unknown as {
      reservationStore: {
        maxReservations: number
        reservationTtl: number
        applyDefaultLimit: boolean
        defaultDurationLimit: number
        defaultDataLimit: bigint
      }
    }
    expect(server.reservationStore).toMatchObject({
      maxReservations: 3,
      reservationTtl: DEFAULT_RELAY_LIMITS.reservationTtlMs,
      applyDefaultLimit: true,
      defaultDurationLimit: 1234,
      defaultDataLimit: DEFAULT_RELAY_LIMITS.relayedConnectionDataBytes,
    })
  })

  it('resets a relayed link that carries more than the data limit', async () => {
    const relay = await net.relay({ limits: { relayedConnectionDataBytes: 256n << 10n } })
    const target = await reservedNode(relay)
    const dialer = await net.node({ reachableViaRelay: false })
    let accept: (link: StreamLink) => void = () => {}
    const accepted = new Promise<StreamLink>((resolve) => {
      accept = resolve
    })
    // A small window: the sender can never be more than 64 KiB ahead of what crossed the relay.
    await handleLinks(target, accept, { receiveWindowBytes: 64 << 10 })
    const connection = await dialer.dial(
      relayedAddrVia(relayAddr(relay), target.peerId.toString()),
      {
        signal: AbortSignal.timeout(10_000),
      },
    )
    const link = await openLink(connection)
    expect(link.kind).toBe('relayed')
    const remote = await accepted
    const reading = (async () => {
      for await (const _ of remote.frames) {
        // drain
      }
    })()
    const sending = (async () => {
      for (let i = 0; i < 64; i++) await link.send(new Uint8Array(16 << 10))
    })()
    // The relay resets the circuit: the link closes under the sender.
    await expect(sending).rejects.toBeInstanceOf(ClosedError)
    await Promise.all([link.closed, remote.closed, reading])
    expect(link.stats().bytesSent).toBeLessThan(64 * (16 << 10))
  })
})

describe('relay identity', { timeout: 20_000 }, () => {
  it('a key file keeps the peer id across restarts, and is private to its owner', async () => {
    const keyFile = join(tempDir(), 'relay.key')
    const first = await net.relay({ keyFile })
    const id = first.peerId
    await first.stop()
    const second = await net.relay({ keyFile })
    expect(second.peerId).toBe(id)
    expect(statSync(keyFile).mode & 0o777).toBe(0o600)
  })

  it('a file that holds no key is an error, not a new identity', async () => {
    const keyFile = join(tempDir(), 'relay.key')
    writeFileSync(keyFile, 'not a key')
    await expect(loadOrCreateKeyFile(keyFile)).rejects.toBeInstanceOf(KeyStoreError)
  })

  it('stop is idempotent and releases the port', async () => {
    const relay = await net.relay()
    const port = Number(/\/tcp\/(\d+)\//.exec(relayAddr(relay).toString())?.[1])
    await Promise.all([relay.stop(), relay.stop()])
    const again = await net.relay({ port })
    expect(relayAddr(again).toString()).toContain(`/tcp/${port}/`)
  })
})

describe('structured logs', () => {
  it('writes one JSON object per line, bigints as strings, filtered by level', () => {
    const lines: string[] = []
    const log = jsonLineLog(
      (line) => lines.push(line),
      'info',
      () => new Date(0),
    )
    log('debug', 'hidden')
    log('info', 'relay-listening', { limit: 5n, error: new Error('boom') })
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      {
        time: '1970-01-01T00:00:00.000Z',
        level: 'info',
        event: 'relay-listening',
        limit: '5',
        error: { name: 'Error', message: 'boom' },
      },
    ])
  })
})
