/**
 * The page's libp2p identity, kept in IndexedDB per tab slot so a reload
 * keeps its peer id (and with it its place in the mesh and its authorship).
 * Database `meshlog-keys`, store `keys`, keyed by slot name; the value holds
 * the protobuf-encoded private key.
 *
 * Two tabs asking for the same new slot at once: each generates a key, then
 * one readwrite transaction reads and only writes if the slot is still empty,
 * so both end up with whichever key landed first.
 */
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { type DBSchema, openDB } from 'idb'
import { describeValue } from '../core/errors.js'
import { KeyStoreError } from './net-errors.js'

export const KEY_DATABASE = 'meshlog-keys'
const KEY_STORE = 'keys'
const MAX_SLOT_LENGTH = 128

interface StoredKey {
  readonly protobuf: Uint8Array
  readonly createdAt: number
}

interface KeySchema extends DBSchema {
  keys: { key: string; value: StoredKey }
}

export interface KeyStoreOptions {
  /** Database name; tests use their own. Default `meshlog-keys`. */
  readonly databaseName?: string
}

function checkSlot(slot: string): string {
  if (typeof slot !== 'string' || slot.length === 0 || slot.length > MAX_SLOT_LENGTH) {
    throw new KeyStoreError(`slot must be a string of 1 to ${MAX_SLOT_LENGTH} characters`, {
      details: { slot: describeValue(slot) },
    })
  }
  return slot
}

/** The slot's private key, created (Ed25519) and stored on first use. */
export async function loadOrCreatePrivateKey(
  slot: string,
  options: KeyStoreOptions = {},
): Promise<PrivateKey> {
  checkSlot(slot)
  const name = options.databaseName ?? KEY_DATABASE
  let db: Awaited<ReturnType<typeof openDB<KeySchema>>>
  try {
    db = await openDB<KeySchema>(name, 1, {
      upgrade(database) {
        database.createObjectStore(KEY_STORE)
      },
    })
  } catch (err) {
    throw new KeyStoreError(`cannot open IndexedDB database ${name}`, { cause: err })
  }
  try {
    const existing = await db.get(KEY_STORE, slot)
    if (existing !== undefined) return decode(existing, slot)
    const fresh = await generateKeyPair('Ed25519')
    const tx = db.transaction(KEY_STORE, 'readwrite')
    const raced = await tx.store.get(slot)
    if (raced === undefined) {
      await tx.store.put({ protobuf: privateKeyToProtobuf(fresh), createdAt: Date.now() }, slot)
    }
    await tx.done
    return raced === undefined ? fresh : decode(raced, slot)
  } catch (err) {
    if (err instanceof KeyStoreError) throw err
    throw new KeyStoreError(`cannot read or store the key of slot ${slot}`, {
      cause: err,
      details: { slot },
    })
  } finally {
    db.close()
  }
}

/** Forgets the slot's key: the next load makes a new identity. */
export async function deletePrivateKey(slot: string, options: KeyStoreOptions = {}): Promise<void> {
  const db = await openDB<KeySchema>(options.databaseName ?? KEY_DATABASE, 1, {
    upgrade(database) {
      database.createObjectStore(KEY_STORE)
    },
  })
  try {
    await db.delete(KEY_STORE, checkSlot(slot))
  } finally {
    db.close()
  }
}

function decode(stored: StoredKey, slot: string): PrivateKey {
  try {
    return privateKeyFromProtobuf(stored.protobuf)
  } catch (err) {
    throw new KeyStoreError(`slot ${slot} holds no valid private key`, {
      cause: err,
      details: { slot, protobuf: describeValue(stored.protobuf) },
    })
  }
}
