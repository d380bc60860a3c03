/**
 * A bare page around one MeshLog, driven by Playwright through
 * `window.meshlogTab`. Built by Vite like an app would build it, so the
 * replication worker is bundled from `new Worker(new URL(…))`.
 */
import { MeshLog } from '../../src/client/mesh-log.js'

export interface TabEntry {
  readonly seq: number
  readonly text: string
  readonly hash: string
}

let log: MeshLog | undefined
const encoder = new TextEncoder()
const decoder = new TextDecoder()
const hex = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')

function current(): MeshLog {
  if (log === undefined) throw new Error('call start() first')
  return log
}

const tab = {
  async start(namespace: string) {
    log = await MeshLog.create({ namespace, heartbeatMs: 100 })
    return { peerId: log.peerId, slot: log.slot }
  },
  async stored(channel: string) {
    const { firstSeq, nextSeq } = await current().stored(channel)
    return { firstSeq, nextSeq }
  },
  async open(channel: string, replicaSet: string[]) {
    await current().open(channel, { replicaSet })
  },
  async role(channel: string) {
    const status = await current().status()
    const found = status.channels.find((c) => c.channel === channel)
    return { role: found?.role ?? null, leader: found?.leader ?? null }
  },
  async append(channel: string, texts: string[]) {
    const receipt = await current().appendMany(
      channel,
      texts.map((t) => encoder.encode(t)),
    )
    if ('pending' in receipt)
      throw new Error(`${channel}: this tab does not lead; the append is pending`)
    return { firstSeq: receipt.firstSeq, nextSeq: receipt.nextSeq }
  },
  async read(channel: string): Promise<TabEntry[]> {
    const out: TabEntry[] = []
    for await (const e of current().read(channel)) {
      out.push({ seq: e.seq, text: decoder.decode(e.payload), hash: hex(e.hash) })
    }
    return out
  },
}

declare global {
  interface Window {
    meshlogTab: typeof tab
  }
}

window.meshlogTab = tab
const status = document.getElementById('status')
if (status !== null) status.textContent = 'ready'
