import { defineConfig } from 'vite'

// The demo page (demo/) is the app Vite serves and builds; the library itself
// is compiled by tsc (scripts/build.mjs). Workers are ES modules so the
// worker entry can import the library like any other module.
export default defineConfig({
  root: 'demo',
  publicDir: false,
  build: {
    outDir: '../demo-dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The libp2p stack (mesh-transport, loaded only with the `mesh` option)
    // is one ~560 kB chunk (~155 kB gzipped); warn past that, not at 500.
    chunkSizeWarningLimit: 640,
  },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', port: 5173, fs: { allow: ['..'] } },
  preview: { host: '127.0.0.1', port: 4173 },
})
