/** The browser side of `npm run bench:signing`: runs the bench in a module Web Worker. */
import { runSigningBench } from './signing-bench.js'

self.addEventListener('message', (event: MessageEvent<{ runtime: string }>) => {
  runSigningBench(event.data.runtime).then(
    (result) => self.postMessage({ result }),
    (error: unknown) => self.postMessage({ error: String(error) }),
  )
})
