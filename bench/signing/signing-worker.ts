/** The browser side of `npm run bench:signing`: runs the bench in a module Web Worker. */
import { runSigningBench } from './signing-bench.js'

self.addEventListener('message', (event: MessageEvent<{ runtime: string; batch?: number }>) => {
  runSigningBench(
    event.data.runtime,
    event.data.batch === undefined ? {} : { batch: event.data.batch },
  ).then(
    (result) => self.postMessage({ result }),
    (error: unknown) => self.postMessage({ error: String(error) }),
  )
})
