/** Page of `npm run bench:signing`: starts the worker and exposes its answer to the runner. */
import type { SigningBenchOptions, SigningBenchResult } from './signing-bench.js'

declare global {
  interface Window {
    signingBench: (runtime: string, options: SigningBenchOptions) => Promise<SigningBenchResult>
  }
}

window.signingBench = (runtime, options) =>
  new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./signing-worker.ts', import.meta.url), { type: 'module' })
    worker.addEventListener('message', (event) => {
      worker.terminate()
      if (event.data.error !== undefined) reject(new Error(event.data.error))
      else resolve(event.data.result)
    })
    worker.addEventListener('error', (event) => reject(new Error(event.message)))
    worker.postMessage({ runtime, options })
  })
