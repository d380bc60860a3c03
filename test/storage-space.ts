/**
 * Running a browser origin out of storage on purpose, for quota tests.
 *
 * Chromium: `Storage.overrideQuotaForOrigin` (CDP) only binds storage buckets
 * created after it, so the browser setup file shrinks the origin's quota to
 * TEST_QUOTA_BYTES before any test touches storage. Firefox: a launch pref
 * fixes its limit (scripts/browsers.mjs); `navigator.storage.estimate()`
 * reports it. In both, `limitSpace` fills all but `freeBytes` with a ballast
 * database, and deleting the ballast gives the room back.
 */
import { deleteDB, openDB } from 'idb'
import { cdp, server } from 'vitest/browser'

export const TEST_QUOTA_BYTES = 128 << 20
const BALLAST_DB = 'meshlog-test-ballast'
const CHUNK = 1 << 20

export async function shrinkQuotaForTests(): Promise<void> {
  if (server.browser !== 'chromium') return
  await cdp().send('Storage.overrideQuotaForOrigin', {
    origin: location.origin,
    quotaSize: TEST_QUOTA_BYTES,
  })
}

function randomBytes(length: number): Uint8Array {
  // Random so no browser can compress it; getRandomValues gives 64 KiB per call.
  const out = new Uint8Array(length)
  for (let offset = 0; offset < length; offset += 65536) {
    crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65536)))
  }
  return out
}

/** Leaves about `freeBytes` of room in this origin; the result gives it back. */
export async function limitSpace(freeBytes: number): Promise<() => Promise<void>> {
  const { usage = 0, quota = 0 } = await navigator.storage.estimate()
  const limit = server.browser === 'chromium' ? TEST_QUOTA_BYTES : quota
  const ballast = await openDB(BALLAST_DB, 1, {
    upgrade: (db) => db.createObjectStore('ballast', { autoIncrement: true }),
  })
  try {
    for (let remaining = limit - usage - freeBytes; remaining > 0; remaining -= CHUNK) {
      await ballast.add('ballast', randomBytes(Math.min(remaining, CHUNK)))
    }
  } catch (error) {
    // Out of room before the ballast was complete: that is the state we want.
    if ((error as { name?: string }).name !== 'QuotaExceededError') throw error
  } finally {
    ballast.close()
  }
  return () => deleteDB(BALLAST_DB)
}
