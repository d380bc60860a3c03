// A bench's page (bench/<name>/index.html, its modules and workers) built
// into a temporary directory and served on a free port of 127.0.0.1, as
// production builds are: the browser benches measure what users load.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, preview } from 'vite'

const root = fileURLToPath(new URL('..', import.meta.url))

/**
 * Builds and serves `bench/<name>`. `minify: false` keeps function names
 * readable in a trace. The result's `close({ keep })` stops the server and
 * removes the build directory (`dir`), unless `keep` (it holds traces).
 */
export async function serveBenchPage(name, { minify = true } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `meshlog-${name}-bench-`))
  try {
    await build({
      configFile: false,
      root: join(root, 'bench', name),
      logLevel: 'warn',
      build: { outDir: dir, emptyOutDir: true, chunkSizeWarningLimit: 4096, minify },
      worker: { format: 'es' },
    })
    const server = await preview({
      configFile: false,
      root,
      logLevel: 'warn',
      build: { outDir: dir },
      preview: { port: 0, host: '127.0.0.1' },
    })
    return {
      url: server.resolvedUrls?.local[0],
      dir,
      async close({ keep = false } = {}) {
        await server.close()
        if (!keep) rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}
