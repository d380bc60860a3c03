/** The browser side of `npm run bench:signing`: runs the bench in a module Web Worker. */
import { runSigningBench, type SigningBenchOptions } from './signing-bench.js'

type Request = { runtime: string; options: SigningBenchOptions }

self.addEventListener('message', (event: MessageEvent<Request>) => {
  runSigningBench(event.data.runtime, event.data.options).then(
    (result) => self.postMessage({ result }),
    (error: unknown) => self.postMessage({ error: String(error) }),
  )
})
