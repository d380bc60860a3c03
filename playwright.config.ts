import { defineConfig } from '@playwright/test'
import { chromiumLaunchOptions, firefoxLaunchOptions } from './scripts/browsers.mjs'

const PORT = Number(process.env.E2E_PORT ?? 4174)
const MESH_PORT = Number(process.env.MESH_PORT ?? 4175)

// End-to-end tests drive the system browsers (Debian's chromium and
// firefox-esr): Playwright cannot download its own here. The suite starts
// `npm start` (demo page + relay) and the mesh test page server itself; tests
// that restart a relay start their own (e2e/mesh/relay-process.ts). The
// `mixed` project runs tests that open Chromium and Firefox pages in one mesh.
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
  webServer: [
    {
      // `npm start`: the demo page and its relay (on any free port).
      command: 'node scripts/start.mjs',
      env: { PORT: String(PORT), RELAY_PORT: '0' },
      url: `http://127.0.0.1:${PORT}/`,
      reuseExistingServer: false,
      timeout: 120_000,
    },
    {
      command: 'node scripts/mesh-e2e-server.mjs',
      env: { MESH_PORT: String(MESH_PORT) },
      url: `http://127.0.0.1:${MESH_PORT}/`,
      reuseExistingServer: false,
      timeout: 120_000,
    },
  ],
  projects: [
    {
      name: 'chromium',
      testIgnore: ['**/*mixed.spec.ts', '**/webkit-*.spec.ts'],
      use: { browserName: 'chromium', launchOptions: chromiumLaunchOptions() },
    },
    {
      name: 'firefox',
      testIgnore: ['**/*mixed.spec.ts', '**/webkit-*.spec.ts'],
      use: { browserName: 'firefox', launchOptions: firefoxLaunchOptions() },
    },
    {
      // WebKitGTK (through WebDriver, see e2e/webkit) with a Chromium page.
      name: 'webkit-relay',
      testMatch: '**/webkit-*.spec.ts',
      use: { browserName: 'chromium', launchOptions: chromiumLaunchOptions() },
    },
    {
      name: 'mixed',
      testMatch: '**/*mixed.spec.ts',
      use: { browserName: 'chromium', launchOptions: chromiumLaunchOptions() },
    },
  ],
})
