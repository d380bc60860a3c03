import { beforeAll } from 'vitest'
import { shrinkQuotaForTests } from './storage-space.js'

beforeAll(async () => {
  await shrinkQuotaForTests()
})
