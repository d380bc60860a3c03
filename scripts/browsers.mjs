// Where the system browsers are and how we launch them. Playwright cannot
// download its own browsers here: we use Debian's chromium and firefox-esr.
// Env vars win (CHROMIUM_PATH, FIREFOX_PATH, WEBKIT_DRIVER_PATH,
// WEBKIT_BROWSER_PATH, XVFB_PATH), then the apt paths.
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

// WebKitGTK (no WebRTC), driven through WebDriver under Xvfb: the relay-only e2e peer.
export const WEBKIT_DRIVER_CANDIDATES = ['/usr/bin/WebKitWebDriver']
export const WEBKIT_BROWSER_CANDIDATES = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.0/MiniBrowser',
  '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.0/MiniBrowser',
]
export const XVFB_CANDIDATES = ['/usr/bin/Xvfb']

export function webkitDriverPath() {
  return pick('WEBKIT_DRIVER_PATH', WEBKIT_DRIVER_CANDIDATES)
}

export function webkitBrowserPath() {
  return pick('WEBKIT_BROWSER_PATH', WEBKIT_BROWSER_CANDIDATES)
}

export function xvfbPath() {
  return pick('XVFB_PATH', XVFB_CANDIDATES)
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
