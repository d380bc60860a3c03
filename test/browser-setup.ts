import { afterEach, beforeAll, beforeEach } from 'vitest'
import { commands } from 'vitest/browser'
import { shrinkQuotaForTests } from './storage-space.js'

declare module 'vitest/browser' {
  interface BrowserCommands {
    acquireShared: (name: string) => Promise<void>
    releaseShared: (name: string) => Promise<void>
    acquireExclusive: (name: string) => Promise<void>
    releaseExclusive: (name: string) => Promise<void>
  }
}

beforeAll(async () => {
  await shrinkQuotaForTests()
})

// Every test holds the `cpu` lock shared, so a test that measures the main
// thread can take it alone (test/exclusive-commands.ts, `exclusively`).
beforeEach(async () => {
  await commands.acquireShared('cpu')
})

afterEach(async () => {
  await commands.releaseShared('cpu')
})
