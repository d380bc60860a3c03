// meshlog: replicated append-only logs for browsers and edge runtimes.
export * from './client/index.js'
export * from './core/index.js'
export * from './storage/index.js'
