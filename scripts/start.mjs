#!/usr/bin/env node
// `npm start`: starts a relay (the `meshlog-relay` command, as a child
// process) and serves the demo page, which asks `/meshlog-relay.json` for the
// relay's multiaddr, then prints the URL to open. Two windows on it mesh over
// WebRTC within seconds. Ctrl-C stops both.
//   PORT (4173) — the demo page; HOST (127.0.0.1)
//   RELAY_PORT (9090; 0 = any free port) — the relay's WebSocket port
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { build, preview } from 'vite'

const USAGE = `usage: npm start
Starts a relay and the demo page, and prints the URL to open. Set with
environment variables, not flags:
  PORT        the demo page's port (default 4173)
  HOST        the interface both listen on (default 127.0.0.1)
  RELAY_PORT  the relay's WebSocket port, 0 = any free one (default 9090)`
const args = process.argv.slice(2)
if (args.length > 0) {
  if (args.every((arg) => arg === '--help' || arg === '-h')) {
    console.log(USAGE)
    process.exit(0)
  }
  console.error(`npm start takes no flags (${args.join(' ')})\n\n${USAGE}`)
  process.exit(2)
}

const root = fileURLToPath(new URL('..', import.meta.url))
/** A port from the environment: a whole number 0-65535, or a clear stop. */
function portFrom(name, fallback) {
  const raw = process.env[name] ?? String(fallback)
  const port = Number(raw)
  if (/^\d+$/.test(raw) && port <= 65535) return port
  console.error(`meshlog: ${name} must be a port number (0-65535), not ${JSON.stringify(raw)}`)
  process.exit(2)
}
const port = portFrom('PORT', 4173)
const host = process.env.HOST ?? '127.0.0.1'
const relayPort = String(portFrom('RELAY_PORT', 9090))
const RELAY_START_TIMEOUT_MS = 60_000

function startRelay() {
  const child = spawn(
    process.execPath,
    ['scripts/meshlog-relay.mjs', '--host', host, '--port', relayPort],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the relay did not start')),
      RELAY_START_TIMEOUT_MS,
    )
    child.once('exit', (code) => reject(new Error(`the relay exited with ${code}`)))
    createInterface({ input: child.stdout }).on('line', (line) => {
      let entry
      try {
        entry = JSON.parse(line)
      } catch {
        return
      }
      if (entry.event === 'relay-listening') {
        clearTimeout(timer)
        resolve(entry.multiaddr)
      }
    })
  })
  return { child, listening }
}

/** Serves the relay's address to the demo page. */
function relayAddressPlugin(multiaddr) {
  return {
    name: 'meshlog-relay-address',
    configurePreviewServer(server) {
      server.middlewares.use('/meshlog-relay.json', (_req, res) => {
        res.setHeader('content-type', 'application/json')
        res.setHeader('cache-control', 'no-store')
        res.end(JSON.stringify({ multiaddr }))
      })
    },
  }
}

console.log('meshlog: starting the relay and building the demo page…')
const relay = startRelay()
let server
const stop = async (code) => {
  relay.child.kill('SIGTERM')
  await server?.close()
  process.exit(code)
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop(0))
try {
  const [multiaddr] = await Promise.all([relay.listening, build({ logLevel: 'warn' })])
  console.log(`meshlog: relay at ${multiaddr}`)
  server = await preview({
    plugins: [relayAddressPlugin(multiaddr)],
    preview: { port, host, strictPort: true },
  })
  const url = server.resolvedUrls?.local[0] ?? `http://${host}:${port}/`
  console.log(`meshlog: demo ready at ${url}`)
  console.log('meshlog: open it in two windows (or press "open another peer"); Ctrl-C stops it.')
} catch (error) {
  console.error(`meshlog: ${error instanceof Error ? error.message : String(error)}`)
  await stop(1)
}
