// The part of `ws` node-polyfills.ts uses (installed with @libp2p/websockets,
// which ships no types for it).
declare module 'ws' {
  export class WebSocket {
    constructor(url: string, protocols?: string | string[])
    on(event: 'error', listener: (err: Error) => void): this
  }
}
