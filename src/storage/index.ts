// meshlog/storage: IndexedDB persistence (browsers and workers).
export * from './idb-log-store.js'
export { SCHEMA_VERSION } from './idb-schema.js'
