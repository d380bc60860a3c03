// The real replication worker, plus two ways for a test to break it:
// an uncaught error (the Worker's `error` event) and a hang (no pings answered).
import '../../workers/replication.worker.js'

addEventListener('message', (event: MessageEvent<unknown>) => {
  const { meshlogTest: command, ms } = (event.data ?? {}) as { meshlogTest?: unknown; ms?: unknown }
  if (command === 'throw') {
    setTimeout(() => {
      throw new Error('boom from the test worker')
    })
  }
  if (command === 'hang') {
    const until = performance.now() + (typeof ms === 'number' ? ms : 60_000)
    while (performance.now() < until) {
      // Busy: the event loop never turns, so no ping is answered.
    }
  }
})
