// Where the system browsers are and how we launch them. Playwright cannot
// download its own browsers here: we use Debian's chromium and firefox-esr.
// Env vars win (CHROMIUM_PATH, FIREFOX_PATH), then the apt paths.
import { existsSync } from 'node:fs'

export const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser']
export const FIREFOX_CANDIDATES = ['/usr/bin/firefox-esr', '/usr/bin/firefox']

function pick(envName, candidates) {
  const fromEnv = process.env[envName]
  if (fromEnv) return fromEnv
  return candidates.find((path) => existsSync(path))
}

export function chromiumPath() {
  return pick('CHROMIUM_PATH', CHROMIUM_CANDIDATES)
}

export function firefoxPath() {
  return pick('FIREFOX_PATH', FIREFOX_CANDIDATES)
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // WebRTC between pages on one host: use real host addresses, not mDNS names.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
]

export const FIREFOX_PREFS = {
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'media.peerconnection.ice.loopback': true,
  // A fixed storage limit so the quota tests can run out of space. In KiB;
  // Firefox gives one origin a fifth of it: 128 MiB, as Chromium's tests
  // get (TEST_QUOTA_BYTES). It was 40 MiB, and the budget test's two
  // databases of 100,000 entries (~14 MB each, plus SQLite's free pages)
  // ran the replica out of room now and then (StorageFullError, the replica
  // withdrew, 1 run in 3).
  'dom.quotaManager.temporaryStorage.fixedLimit': 640 * 1024,
}

export function chromiumLaunchOptions() {
  return { executablePath: chromiumPath(), args: CHROMIUM_ARGS }
}

export function firefoxLaunchOptions() {
  return { executablePath: firefoxPath(), channel: 'moz-firefox', firefoxUserPrefs: FIREFOX_PREFS }
}
