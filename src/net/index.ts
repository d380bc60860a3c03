// meshlog networking for browser pages (and anything with WebSockets): the
// browser node factory, MeshNetwork, the /meshlog/1.0.0 link, the directory
// client. The Node/edge factory is `./edge-node.js`, kept out of this entry
// so browser bundles never see its Node polyfills.
export * from './addresses.js'
export * from './backoff.js'
export * from './browser-node.js'
export * from './connection-gater.js'
export * from './directory/directory-client.js'
export * from './directory/directory-messages.js'
export * from './key-store.js'
export * from './link-kind.js'
export * from './mesh-network.js'
export type { MeshNode } from './mesh-node.js'
export * from './meshlog-protocol.js'
export * from './net-errors.js'
export * from './peer-dialer.js'
export type { RelayState } from './relay-session.js'
export * from './stream-link.js'
