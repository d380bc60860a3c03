/**
 * What libp2p 3 expects from its runtime and Node 20 lacks. Node entry points
 * (the edge node factory, the relay) call `installNodePolyfills()` before
 * creating a libp2p node. (A function, not an import for effect: the package
 * is `sideEffects: false`, so bundlers would drop a bare import.)
 * - `Promise.withResolvers` (ES2024, Node 22+): libp2p calls it, e.g. when a
 *   node stops; without it: `TypeError: Promise.withResolvers is not a function`.
 * - a global `WebSocket` (Node 22+, or 20 behind `--experimental-websocket`):
 *   @libp2p/websockets dials with it. `ws`, which @libp2p/websockets already
 *   depends on for listening, provides a compatible class.
 * Browsers and edge runtimes have both, and nothing here runs there.
 */
interface Resolvers<T> {
  promise: Promise<T>
  resolve: (value: T | PromiseLike<T>) => void
  reject: (reason?: unknown) => void
}

type PromiseWithResolvers = { withResolvers?: <T>() => Resolvers<T> }

const promiseConstructor = Promise as unknown as PromiseWithResolvers

/** Installs what is missing; idempotent, and a no-op where nothing is. */
export async function installNodePolyfills(): Promise<void> {
  if (typeof promiseConstructor.withResolvers !== 'function') {
    promiseConstructor.withResolvers = <T>(): Resolvers<T> => {
      let resolve: Resolvers<T>['resolve'] = () => {}
      let reject: Resolvers<T>['reject'] = () => {}
      const promise = new Promise<T>((res, rej) => {
        resolve = res
        reject = rej
      })
      return { promise, resolve, reject }
    }
  }
  const scope = globalThis as { WebSocket?: unknown }
  if (scope.WebSocket === undefined) {
    const ws = await import('ws')
    // `ws` is an EventEmitter: an 'error' (ECONNREFUSED) with no 'error'
    // listener would be thrown at process level. libp2p hears errors through
    // addEventListener; this listener only keeps them from escaping.
    scope.WebSocket = class NodeWebSocket extends ws.WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols)
        this.on('error', () => {})
      }
    }
  }
}
