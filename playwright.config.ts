import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions, firefoxLaunchOptions } from './scripts/browsers.mjs'

const PORT = Number(process.env.E2E_PORT ?? 4174)

// End-to-end tests drive the system browsers (Debian's chromium and
// firefox-esr): Playwright cannot download its own here. The suite starts the
// demo server itself.
export default defineConfig({
  testDir: 'e2e',
  timeout: 60_000,
  workers: 1,
  retries: 0,
  outputDir: 'test-results',
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
  webServer: {
    command: 'node scripts/start.mjs',
    env: { PORT: String(PORT) },
    url: `http://127.0.0.1:${PORT}/`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
  projects: [
    { name: 'chromium', use: { browserName: 'chromium', launchOptions: chromiumLaunchOptions() } },
    { name: 'firefox', use: { browserName: 'firefox', launchOptions: firefoxLaunchOptions() } },
  ],
})
