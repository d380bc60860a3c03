import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { parseCli } from './cli-options.js'
import { DEFAULT_RELAY_LIMITS } from './relay-limits.js'

describe('relay CLI flags', () => {
  it('has defaults for everything', () => {
    expect(parseCli([])).toEqual({
      host: '127.0.0.1',
      port: 9090,
      keyFile: undefined,
      limits: {},
      logLevel: 'info',
    })
  })

  it('maps flags onto limits', () => {
    const options = parseCli([
      '--port=0',
      '--key-file',
      '/tmp/k',
      '--max-reservations',
      '10',
      '--relayed-data-bytes',
      '1048576',
      '--max-members',
      '5',
      '--log-level',
      'warn',
    ])
    expect(options).toMatchObject({
      port: 0,
      keyFile: '/tmp/k',
      logLevel: 'warn',
      limits: { maxReservations: 10, relayedConnectionDataBytes: 1_048_576n, maxMembersPerRoom: 5 },
    })
  })

  it('refuses unknown flags and malformed numbers', () => {
    expect(() => parseCli(['--prot', '1'])).toThrow()
    expect(() => parseCli(['--port', 'x'])).toThrow(/--port/)
    expect(() => parseCli(['--log-level', 'loud'])).toThrow(/log-level/)
    expect(parseCli(['--help'])).toBe('help')
  })
})

describe('meshlog-relay command', { timeout: 60_000 }, () => {
  it('prints its multiaddr as a JSON line and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, ['scripts/meshlog-relay.mjs', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const events: Record<string, unknown>[] = []
    let exitedEarly: (code: number | null) => void = () => {}
    const listening = new Promise<Record<string, unknown>>((resolve, reject) => {
      exitedEarly = (code) => reject(new Error(`relay exited early with ${code}`))
      child.once('exit', exitedEarly)
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>
        events.push(entry)
        if (entry.event === 'relay-listening') resolve(entry)
      })
    })
    const entry = await listening
    expect(String(entry.multiaddr)).toMatch(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+\/ws\/p2p\/12D3Koo/)
    expect(entry.limits).toMatchObject({
      maxReservations: DEFAULT_RELAY_LIMITS.maxReservations,
      relayedConnectionDataBytes: String(DEFAULT_RELAY_LIMITS.relayedConnectionDataBytes),
    })
    child.off('exit', exitedEarly)
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(events.map((e) => e.event)).toEqual([
      'relay-listening',
      'relay-signal',
      'relay-stopping',
      'relay-stopped',
    ])
  })

  it('exits 2 with the usage on a bad flag', async () => {
    const child = spawn(process.execPath, ['scripts/meshlog-relay.mjs', '--bogus'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    expect(code).toBe(2)
    expect(stderr).toContain('Usage: meshlog-relay')
  })
})
