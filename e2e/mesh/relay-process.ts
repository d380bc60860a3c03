/**
 * The relay as the e2e tests run it: the real `meshlog-relay` command in a
 * child process, so its CLI, JSON logs and signal handling are exercised
 * too. It keeps its key in a temporary file and its port across restarts, so
 * a restarted relay has the same multiaddr, as a deployment would.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'

const START_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 10_000

export class RelayProcess {
  readonly #dir = mkdtempSync(join(tmpdir(), 'meshlog-relay-'))
  #child: ChildProcess | undefined
  #port = 0
  #multiaddr = ''
  readonly logs: string[] = []

  get multiaddr(): string {
    return this.#multiaddr
  }

  async start(): Promise<string> {
    if (this.#child !== undefined) return this.#multiaddr
    const child = spawn(
      process.execPath,
      [
        'scripts/meshlog-relay.mjs',
        '--port',
        String(this.#port),
        '--key-file',
        join(this.#dir, 'relay.key'),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    this.#child = child
    const listening = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('relay did not start in time')),
        START_TIMEOUT_MS,
      )
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`relay exited with ${code} before listening`))
      })
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        this.logs.push(line)
        const entry = JSON.parse(line) as { event?: string; multiaddr?: string }
        if (entry.event === 'relay-listening' && entry.multiaddr !== undefined) {
          clearTimeout(timer)
          resolve(entry.multiaddr)
        }
      })
    })
    this.#multiaddr = await listening
    this.#port = Number(/\/tcp\/(\d+)\//.exec(this.#multiaddr)?.[1])
    return this.#multiaddr
  }

  /** SIGTERM, then waits for the process to exit (SIGKILL past the deadline). */
  async stop(): Promise<void> {
    const child = this.#child
    if (child === undefined) return
    this.#child = undefined
    if (child.exitCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
  }

  async restart(): Promise<string> {
    await this.stop()
    return this.start()
  }

  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.#dir, { recursive: true, force: true })
  }
}
