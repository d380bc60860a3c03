#!/usr/bin/env node
// Serves the mesh e2e test page (e2e/mesh/page/) for Playwright: bundles the
// relay CLI first (so the tests' relay processes start without building),
// builds the page with Vite into a temporary directory, and serves it on
// MESH_PORT (default 4175) until SIGINT/SIGTERM. The relay itself is started
// by the tests (e2e/mesh/relay-process.ts), which need to restart it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, preview } from 'vite'
import { buildRelay } from './build-relay.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const port = Number(process.env.MESH_PORT ?? 4175)
const outDir = mkdtempSync(join(tmpdir(), 'meshlog-mesh-page-'))

await buildRelay(root)
await build({
  configFile: false,
  root: join(root, 'e2e/mesh/page'),
  logLevel: 'warn',
  build: { outDir, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 2048 },
})
const server = await preview({
  configFile: false,
  root,
  logLevel: 'warn',
  build: { outDir },
  preview: { port, host: '127.0.0.1', strictPort: true },
})
console.log(`meshlog: mesh test page at http://127.0.0.1:${port}/`)

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await server.close()
    rmSync(outDir, { recursive: true, force: true })
    process.exit(0)
  })
}
