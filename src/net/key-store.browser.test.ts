import { describe, expect, it } from 'vitest'
import { deletePrivateKey, loadOrCreatePrivateKey } from './key-store.js'
import { KeyStoreError } from './net-errors.js'

const databaseName = `meshlog-keys-test-${Math.random().toString(36).slice(2)}`

describe('a tab slot keeps its libp2p key in IndexedDB', () => {
  it('returns the same key for the same slot, a different one for another slot', async () => {
    const first = await loadOrCreatePrivateKey('slot-a', { databaseName })
    const again = await loadOrCreatePrivateKey('slot-a', { databaseName })
    const other = await loadOrCreatePrivateKey('slot-b', { databaseName })
    expect(again.publicKey.toString()).toBe(first.publicKey.toString())
    expect(other.publicKey.toString()).not.toBe(first.publicKey.toString())
    expect(first.type).toBe('Ed25519')
  })

  it('two loads racing for a new slot end with one key', async () => {
    const [x, y] = await Promise.all([
      loadOrCreatePrivateKey('slot-race', { databaseName }),
      loadOrCreatePrivateKey('slot-race', { databaseName }),
    ])
    expect(x.publicKey.toString()).toBe(y.publicKey.toString())
  })

  it('a deleted slot gets a new identity', async () => {
    const before = await loadOrCreatePrivateKey('slot-c', { databaseName })
    await deletePrivateKey('slot-c', { databaseName })
    const after = await loadOrCreatePrivateKey('slot-c', { databaseName })
    expect(after.publicKey.toString()).not.toBe(before.publicKey.toString())
  })

  it('refuses an empty slot name', async () => {
    await expect(loadOrCreatePrivateKey('', { databaseName })).rejects.toBeInstanceOf(KeyStoreError)
  })
})
