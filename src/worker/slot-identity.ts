/**
 * A slot's stable peer id, remembered in IndexedDB so a reloaded tab (which
 * gets its slot back) is the same peer with the same log. The first worker
 * to run in a slot makes one up. A later issue derives it from the slot's
 * libp2p key instead; until then the page may pass an explicit id.
 */
import { openDB } from 'idb'
import { type PeerId, peerId } from '../core/log/ids.js'
import { toStorageError } from '../storage/idb-errors.js'

const STORE = 'peers'

function freshPeerId(): PeerId {
  const bytes = crypto.getRandomValues(new Uint8Array(12))
  let text = ''
  for (const byte of bytes) text += byte.toString(16).padStart(2, '0')
  return peerId(`peer-${text}`)
}

/** The slot's peer id, created (durably) on first use. */
export async function slotPeerId(databaseName: string, slotName: string): Promise<PeerId> {
  try {
    const db = await openDB(databaseName, 1, {
      upgrade: (upgrading) => {
        upgrading.createObjectStore(STORE)
      },
    })
    try {
      const tx = db.transaction(STORE, 'readwrite', { durability: 'strict' })
      const existing: unknown = await tx.store.get(slotName)
      if (typeof existing === 'string') {
        await tx.done
        return peerId(existing)
      }
      const fresh = freshPeerId()
      await tx.store.put(fresh, slotName)
      await tx.done
      return fresh
    } finally {
      db.close()
    }
  } catch (error) {
    throw toStorageError(error, { databaseName, slotName, op: 'peer-id' })
  }
}
