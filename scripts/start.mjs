#!/usr/bin/env node
// `npm start`: builds the demo page and serves it, then prints the URL to
// open. Ctrl-C stops it. (The relay joins this command with the browser mesh.)
import { build, preview } from 'vite'

const port = Number(process.env.PORT ?? 4173)
console.log('meshlog: building the demo page…')
await build({ logLevel: 'warn' })
const server = await preview({ preview: { port, host: process.env.HOST ?? '127.0.0.1' } })
const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`
console.log(`meshlog: demo ready at ${url}`)
console.log('meshlog: open it in two tabs or browsers; Ctrl-C stops the server.')

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, async () => {
    await server.close()
    process.exit(0)
  })
}
