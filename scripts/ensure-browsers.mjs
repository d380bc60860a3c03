#!/usr/bin/env node
// Makes sure the system Chromium and Firefox ESR that the browser and e2e
// tests drive are installed, and WebKitGTK's WebDriver with Xvfb for the
// relay-only e2e peer. Playwright cannot download browsers here, so we
// use Debian's packages: installs them with apt-get when missing (as root, or
// through passwordless sudo), and otherwise says exactly what to run.
import { execFileSync, spawnSync } from 'node:child_process'
import {
  chromiumPath,
  firefoxPath,
  webkitBrowserPath,
  webkitDriverPath,
  xvfbPath,
} from './browsers.mjs'

const PACKAGES = ['chromium', 'firefox-esr', 'webkit2gtk-driver', 'xvfb']

function missing() {
  const out = []
  if (!chromiumPath()) out.push('chromium')
  if (!firefoxPath()) out.push('firefox-esr')
  // The driver package brings WebKitGTK's MiniBrowser with it.
  if (!webkitDriverPath() || !webkitBrowserPath()) out.push('webkit2gtk-driver')
  if (!xvfbPath()) out.push('xvfb')
  return out
}

function run(command, args) {
  console.log(`ensure-browsers: $ ${[command, ...args].join(' ')}`)
  const result = spawnSync(command, args, {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  })
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`)
}

function hasCommand(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0
}

const absent = missing()
if (absent.length === 0) {
  console.log(
    `ensure-browsers: using chromium at ${chromiumPath()}, firefox at ${firefoxPath()} and WebKitGTK at ${webkitBrowserPath()}`,
  )
  process.exit(0)
}

console.log(
  `ensure-browsers: ${absent.join(', ')} not found; the browser tests need ${PACKAGES.join(', ')}.`,
)
const isRoot = process.getuid?.() === 0
const sudo =
  !isRoot &&
  hasCommand('sudo') &&
  spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0
if (!hasCommand('apt-get') || (!isRoot && !sudo)) {
  console.error(
    'ensure-browsers: cannot install them here (needs apt-get as root or passwordless sudo).\n' +
      `  Install them yourself:  sudo apt-get update && sudo apt-get install -y ${PACKAGES.join(' ')}\n` +
      '  or point CHROMIUM_PATH, FIREFOX_PATH, WEBKIT_DRIVER_PATH, WEBKIT_BROWSER_PATH and XVFB_PATH at existing binaries.',
  )
  process.exit(1)
}
const prefix = isRoot ? [] : ['sudo', '-n']
const [cmd, ...pre] = [...prefix, 'apt-get']
console.log('ensure-browsers: installing Debian packages (takes a minute or two)…')
try {
  run(cmd, [...pre, 'update', '-q'])
  run(cmd, [...pre, 'install', '-y', '-q', ...PACKAGES])
} catch (error) {
  console.error(`ensure-browsers: install failed: ${error.message}`)
  process.exit(1)
}
const still = missing()
if (still.length > 0) {
  console.error(`ensure-browsers: still missing after install: ${still.join(', ')}`)
  process.exit(1)
}
console.log(
  `ensure-browsers: installed; chromium ${version(chromiumPath())}, firefox ${version(firefoxPath())}`,
)

function version(path) {
  try {
    return execFileSync(path, ['--version'], { encoding: 'utf8' }).trim()
  } catch {
    return path
  }
}
