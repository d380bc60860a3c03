import { expect, test } from '@playwright/test'

test.describe('demo page keeps its log in IndexedDB', () => {
  test('appended entries are listed in order and survive a reload', async ({ page }) => {
    await page.goto('/')
    await expect(page.locator('#status')).toHaveText('ready')
    for (const text of ['first entry', 'second entry', 'third entry']) {
      await page.locator('#message').fill(text)
      await page.locator('#append').click()
      await expect(page.locator('#message')).toHaveValue('')
    }
    const payloads = page.locator('#entries li .payload')
    await expect(payloads).toHaveText(['first entry', 'second entry', 'third entry'])
    await expect(page.locator('#tail')).toHaveText('3')
    const hashes = await page.locator('#entries li .hash').allTextContents()

    await page.reload()
    await expect(page.locator('#status')).toHaveText('ready')
    await expect(payloads).toHaveText(['first entry', 'second entry', 'third entry'])
    expect(await page.locator('#entries li .hash').allTextContents()).toEqual(hashes)
    await expect(page.locator('#peer-id')).not.toHaveText('…')
  })
})
