/**
 * WebKitGTK as a mesh peer, driven through WebDriver (WebKitWebDriver and
 * its MiniBrowser, from Debian's webkit2gtk-driver) on an Xvfb display of
 * its own. Playwright cannot drive it here (it would need its own WebKit
 * build), and WebKitGTK has IndexedDB, Workers and WebSocket but no
 * WebRTC: the peer the relayed-circuit fallback is for.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { webkitBrowserPath, webkitDriverPath, xvfbPath } from '../../scripts/browsers.mjs'

const START_TIMEOUT_MS = 20_000
const CALL_TIMEOUT_MS = 60_000

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

/** Xvfb on the first free display (it picks one and writes its number to stdout). */
function startXvfb(path: string): Promise<{ child: ChildProcess; display: string }> {
  const child = spawn(
    path,
    ['-displayfd', '1', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'],
    {
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Xvfb did not start')), START_TIMEOUT_MS)
    child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)))
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => {
      clearTimeout(timer)
      resolve({ child, display: `:${line.trim()}` })
    })
  })
}

async function waitForDriver(url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    try {
      const res = await fetch(`${url}/status`)
      if (res.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not answer at ${url}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

export class WebKitPeer {
  readonly #processes: ChildProcess[]
  readonly #session: string

  private constructor(processes: ChildProcess[], session: string) {
    this.#processes = processes
    this.#session = session
  }

  /** Xvfb, the driver and one MiniBrowser window. */
  static async launch(): Promise<WebKitPeer> {
    const binary = webkitBrowserPath()
    const driverPath = webkitDriverPath()
    const xvfbAt = xvfbPath()
    if (!binary || !driverPath || !xvfbAt) {
      throw new Error('WebKitGTK is missing: run `node scripts/ensure-browsers.mjs`')
    }
    const xvfb = await startXvfb(xvfbAt)
    const port = await freePort()
    const driver = spawn(driverPath, [`--port=${port}`], {
      stdio: 'ignore',
      env: { ...process.env, DISPLAY: xvfb.display },
    })
    const processes = [xvfb.child, driver]
    try {
      const url = `http://127.0.0.1:${port}`
      await waitForDriver(url)
      const created = await call(url, 'POST', '/session', {
        capabilities: {
          alwaysMatch: { 'webkitgtk:browserOptions': { binary, args: ['--automation'] } },
        },
      })
      const session = (created as { sessionId: string }).sessionId
      return new WebKitPeer(processes, `${url}/session/${session}`)
    } catch (error) {
      for (const child of processes) child.kill()
      throw error
    }
  }

  goto(url: string): Promise<unknown> {
    return call(this.#session, 'POST', '/url', { url })
  }

  /** Runs `script` (a function body; `arguments[0]`… are `args`) and returns its value. */
  evaluate<T>(script: string, ...args: unknown[]): Promise<T> {
    return call(this.#session, 'POST', '/execute/sync', { script, args }) as Promise<T>
  }

  /** As `evaluate`, for a body that ends by calling `done(value)` once a promise settles. */
  evaluateAsync<T>(body: string, ...args: unknown[]): Promise<T> {
    const script = `const done = arguments[arguments.length - 1];\n${body}`
    return call(this.#session, 'POST', '/execute/async', { script, args }) as Promise<T>
  }

  async close(): Promise<void> {
    await call(this.#session, 'DELETE', '', undefined).catch(() => undefined)
    for (const child of this.#processes) child.kill()
  }
}

async function call(base: string, method: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
  })
  const reply = (await res.json()) as { value: unknown }
  const value = reply.value as { error?: string; message?: string } | null
  if (!res.ok || (value !== null && typeof value === 'object' && 'error' in value)) {
    throw new Error(
      `WebDriver ${method} ${path}: ${value?.error ?? res.status} ${value?.message ?? ''}`,
    )
  }
  return reply.value
}
