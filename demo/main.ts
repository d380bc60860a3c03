/**
 * The demo page, stage one: a channel kept in this browser's IndexedDB
 * through IdbLogStore. Entries survive reloads. (The worker runtime and the
 * mesh join this page in later stages.)
 */
import { toString as toHex } from 'uint8arrays/to-string'
import { sealEntries } from '../src/core/log/entry-chain.js'
import { loadEntryHasher } from '../src/core/log/entry-hasher.js'
import { channelId, type PeerId, peerId } from '../src/core/log/ids.js'
import { IdbLogStore } from '../src/storage/idb-log-store.js'

const CHANNEL = channelId('demo')
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id)
  if (found === null) throw new Error(`missing #${id}`)
  return found as T
}

function localPeerId(): PeerId {
  const key = 'meshlog-demo-peer'
  const existing = localStorage.getItem(key)
  if (existing !== null) return peerId(existing)
  const fresh = `peer-${crypto.randomUUID().slice(0, 8)}`
  localStorage.setItem(key, fresh)
  return peerId(fresh)
}

async function main(): Promise<void> {
  const author = localPeerId()
  const hasher = await loadEntryHasher()
  const store = new IdbLogStore({ databaseName: 'meshlog-demo', hasher })
  await store.open()
  element('channel-name').textContent = CHANNEL
  element('peer-id').textContent = author

  let authorSeq = (await store.read(CHANNEL, store.state(CHANNEL).firstSeq)).filter(
    (e) => e.author === author,
  ).length

  async function render(): Promise<void> {
    const state = store.state(CHANNEL)
    element('first-seq').textContent = String(state.firstSeq)
    element('tail').textContent = String(state.nextSeq)
    element('payload-bytes').textContent = String(state.payloadBytes)
    element('status').textContent = 'ready'
    const entries = await store.read(CHANNEL, state.firstSeq)
    const list = element<HTMLOListElement>('entries')
    list.replaceChildren(
      ...entries.map((e) => {
        const item = document.createElement('li')
        item.dataset.seq = String(e.seq)
        const seqCell = document.createElement('span')
        seqCell.textContent = `#${e.seq}`
        const text = document.createElement('span')
        text.className = 'payload'
        text.textContent = decoder.decode(e.payload)
        const hash = document.createElement('span')
        hash.className = 'hash'
        hash.textContent = toHex(e.hash, 'base16').slice(0, 12)
        item.append(seqCell, text, hash)
        return item
      }),
    )
  }

  element<HTMLFormElement>('append-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const input = element<HTMLInputElement>('message')
    const text = input.value
    if (text.length === 0) return
    const entries = sealEntries(hasher, CHANNEL, store.state(CHANNEL), [
      { author, authorSeq: authorSeq++, payload: encoder.encode(text) },
    ])
    store
      .append(CHANNEL, entries)
      .then(() => {
        input.value = ''
        element('error').hidden = true
        return render()
      })
      .catch((error: unknown) => {
        const box = element('error')
        box.hidden = false
        box.textContent = `append failed: ${(error as Error).message}`
      })
  })
  await render()
}

main().catch((error: unknown) => {
  element('status').textContent = `failed: ${(error as Error).message}`
})
