#!/usr/bin/env node
// The `meshlog-relay` command. Runs the bundled relay (dist/relay/cli.js);
// in a source checkout it first rebuilds that bundle when any file under
// src/ is newer, so `npx meshlog-relay --port 9090` always runs the current
// code on Node 20 without a TypeScript loader. `--help` lists the flags.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const bundle = join(root, 'dist', 'relay', 'cli.js')
const sources = join(root, 'src')

function newestMtime(dir) {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

const stale =
  existsSync(sources) && (!existsSync(bundle) || newestMtime(sources) > statSync(bundle).mtimeMs)
if (stale) {
  const { buildRelay } = await import('./build-relay.mjs')
  await buildRelay(root)
}
await import(pathToFileURL(bundle).href)
