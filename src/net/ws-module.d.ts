// The one thing node-polyfills.ts takes from `ws` (installed with
// @libp2p/websockets, which ships no types for it).
declare module 'ws' {
  export const WebSocket: new (url: string) => unknown
}
