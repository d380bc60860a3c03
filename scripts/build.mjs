#!/usr/bin/env node
// `npm run build`: compiles the library (tsc → dist/) and the demo page
// (Vite → demo-dist/), then prints the demo bundle's size, raw and gzipped.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'vite'

const tsc = spawnSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' })
if (tsc.status !== 0) process.exit(tsc.status ?? 1)
await build({ logLevel: 'warn' })

function files(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : [path]
  })
}
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
let raw = 0
let gz = 0
for (const file of files('demo-dist').filter((f) => /\.(js|css)$/.test(f))) {
  const bytes = readFileSync(file)
  const zipped = gzipSync(bytes).byteLength
  raw += bytes.byteLength
  gz += zipped
  console.log(
    `${file.padEnd(48)} ${kib(bytes.byteLength).padStart(11)}  gzip ${kib(zipped).padStart(10)}`,
  )
}
console.log(
  `${'demo bundle total'.padEnd(48)} ${kib(raw).padStart(11)}  gzip ${kib(gz).padStart(10)}`,
)
