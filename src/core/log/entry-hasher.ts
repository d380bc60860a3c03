/**
 * Entry hashing. BLAKE3 through hash-wasm costs ~0.5 µs for a 150-byte entry
 * in V8, against ~2.3 µs for a pure-JS SHA-256 and far more for WebCrypto's
 * async digest per entry (measured in Node 20; see README). WebAssembly needs
 * an async compile once, so a hasher is created asynchronously and then hashes
 * synchronously. Where WebAssembly is unavailable (a strict CSP without
 * 'wasm-unsafe-eval'), the pure-JS BLAKE3 from @noble/hashes gives the same
 * digests, only slower.
 */
import { blake3 as blake3Js } from '@noble/hashes/blake3.js'
import { createBLAKE3 } from 'hash-wasm'
import { HASH_BYTES } from './entry.js'

export interface EntryHasher {
  readonly implementation: 'wasm' | 'js'
  /** BLAKE3-256 of the concatenation of `parts`. */
  digest(...parts: Uint8Array[]): Uint8Array
}

async function createWasmHasher(): Promise<EntryHasher> {
  const state = await createBLAKE3(HASH_BYTES * 8)
  return {
    implementation: 'wasm',
    digest(...parts) {
      state.init()
      for (const part of parts) state.update(part)
      return state.digest('binary')
    },
  }
}

export function createJsHasher(): EntryHasher {
  return {
    implementation: 'js',
    digest(...parts) {
      const state = blake3Js.create({ dkLen: HASH_BYTES })
      for (const part of parts) state.update(part)
      return state.digest()
    },
  }
}

let shared: Promise<EntryHasher> | undefined

/** The process-wide hasher: WebAssembly when it compiles, JS otherwise. */
export function loadEntryHasher(): Promise<EntryHasher> {
  shared ??= createWasmHasher().catch(() => createJsHasher())
  return shared
}
