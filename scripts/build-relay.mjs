#!/usr/bin/env node
// `npm run build:relay`: bundles the relay CLI (src/relay/cli.ts and what it
// imports from src/) into one ES module, dist/relay/cli.js, that Node 20
// runs without TypeScript tooling. npm packages stay external imports.
import { fileURLToPath } from 'node:url'
import { build } from 'vite'

export const RELAY_ENTRY = 'src/relay/cli.ts'
export const RELAY_OUT_DIR = 'dist/relay'

export async function buildRelay(root = fileURLToPath(new URL('..', import.meta.url))) {
  await build({
    configFile: false,
    root,
    logLevel: 'warn',
    build: {
      ssr: RELAY_ENTRY,
      outDir: RELAY_OUT_DIR,
      emptyOutDir: true,
      target: 'node20',
      minify: false,
      sourcemap: true,
      rollupOptions: { output: { format: 'es', entryFileNames: 'cli.js' } },
    },
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildRelay()
  console.error(`meshlog: relay built into ${RELAY_OUT_DIR}/cli.js`)
}
