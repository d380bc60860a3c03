import { playwright } from '@vitest/browser-playwright'
import { defineConfig } from 'vitest/config'
import { chromiumLaunchOptions, firefoxLaunchOptions } from './scripts/browsers.mjs'
import {
  acquireExclusive,
  acquireShared,
  releaseExclusive,
  releaseShared,
} from './test/exclusive-commands.js'

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          environment: 'node',
          include: ['src/**/*.test.ts', 'bench/**/*.test.ts', 'scripts/**/*.test.ts'],
          exclude: ['**/*.browser.test.ts', '**/node_modules/**'],
          // Networking tests poll real sockets; under a loaded CI machine a
          // link takes longer than the 1 s default to come up.
          expect: { poll: { timeout: 10_000 } },
        },
      },
      {
        // Pre-bundled up front: found mid-run (e.g. first imported by the
        // worker), Vite re-optimizes and reloads the page under the tests.
        optimizeDeps: {
          include: [
            'comlink',
            'idb',
            'hash-wasm',
            '@noble/hashes/blake3.js',
            'uint8arrays/equals',
            'uint8arrays/to-string',
            'uint8arrays/from-string',
            'fast-check',
            // Signed entries and the mesh (the worker and the page import them lazily).
            '@noble/curves/ed25519.js',
            '@libp2p/crypto/keys',
            '@libp2p/peer-id',
            '@chainsafe/libp2p-noise',
            '@chainsafe/libp2p-yamux',
            '@libp2p/circuit-relay-v2',
            '@libp2p/identify',
            '@libp2p/utils',
            '@libp2p/webrtc',
            '@libp2p/websockets',
            '@multiformats/multiaddr',
            'libp2p',
          ],
        },
        test: {
          name: 'browser',
          setupFiles: ['test/browser-setup.ts'],
          include: ['src/**/*.browser.test.ts', 'workers/**/*.browser.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            commands: { acquireShared, releaseShared, acquireExclusive, releaseExclusive },
            instances: [
              {
                browser: 'chromium',
                provider: playwright({ launchOptions: chromiumLaunchOptions() }),
              },
              {
                browser: 'firefox',
                provider: playwright({ launchOptions: firefoxLaunchOptions() }),
              },
            ],
          },
        },
      },
    ],
  },
})
