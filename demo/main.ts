/**
 * The demo page: a MeshLog that joins the mesh through the relay (from
 * `?relay=` or the `/meshlog-relay.json` that `npm start` serves), a shared
 * channel of chat entries whose replica set follows the room, and a live view
 * of `status()`: the peers and their links, each channel's role, leader,
 * tail, lag, counters and catch-up progress. Appending works on the leader;
 * other peers say who leads (forwarded writes come with the offline outbox).
 */
import { toString as toHex } from 'uint8arrays/to-string'
import { MeshLog } from '../src/client/mesh-log.js'
import type { MeshLogStatus } from '../src/client/mesh-log-events.js'
import type { ControlSnapshot } from '../src/core/control/control-snapshot.js'
import type { Entry } from '../src/core/log/entry.js'
import type { DemoEntry, DemoEvent, MeshlogDemoApi } from './demo-api.js'
import { drawMeshGraph, type GraphPeer } from './mesh-graph.js'

const CHANNEL = 'chat'
const STATUS_INTERVAL_MS = 500
/** Entries drawn: the newest ones (a long log would make every batch redraw thousands). */
const SHOWN_ENTRIES = 200
const params = new URLSearchParams(location.search)
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function element<T extends Element = HTMLElement>(id: string): T {
  const found = document.getElementById(id)
  if (found === null) throw new Error(`missing #${id}`)
  return found as unknown as T
}

function renderControl(snapshot: ControlSnapshot): void {
  element('control-reconciles').textContent = String(snapshot.reconcileCount)
  element('control-maintenance').textContent = snapshot.maintenance.phase
  const connected = snapshot.peers.filter((p) => p.connected).length
  element('control-peers').textContent = `${connected} connected of ${snapshot.peers.length}`
  const storage = snapshot.storage
  element('control-storage').textContent =
    storage === undefined
      ? '–'
      : `${(storage.usageBytes / 2 ** 20).toFixed(1)} MiB of ${(storage.quotaBytes / 2 ** 30).toFixed(1)} GiB`
}

function showError(message: string | undefined): void {
  const box = element('error')
  box.hidden = message === undefined
  box.textContent = message ?? ''
}

async function relayAddress(): Promise<string> {
  const fromUrl = params.get('relay')
  if (fromUrl !== null && fromUrl !== '') return fromUrl
  const response = await fetch('/meshlog-relay.json', { cache: 'no-store' })
  if (!response.ok) throw new Error('no ?relay= and no /meshlog-relay.json (run `npm start`)')
  const { multiaddr } = (await response.json()) as { multiaddr: string }
  return multiaddr
}

function short(peer: string | null | undefined): string {
  if (peer === null || peer === undefined) return '–'
  return peer.length > 14 ? `…${peer.slice(-8)}` : peer
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement('td')
  td.textContent = text
  if (className !== undefined) td.className = className
  return td
}

function renderPeers(status: MeshLogStatus): void {
  const mesh = status.mesh
  const kinds = new Map<string, string>()
  for (const link of status.links) kinds.set(link.peer, link.kind)
  const graph: GraphPeer[] = []
  const rows: HTMLTableRowElement[] = []
  const known = new Set<string>()
  for (const p of mesh?.peers ?? []) {
    known.add(p.peer)
    const kind = p.link?.kind ?? kinds.get(p.peer)
    graph.push({ peer: p.peer, kind, member: p.member })
    const row = document.createElement('tr')
    row.dataset.peer = p.peer
    row.dataset.kind = kind ?? 'none'
    const rtt = p.link?.rtt
    row.append(
      cell(short(p.peer)),
      cell(p.member ? 'yes' : 'no'),
      cell(kind ?? (p.dialing ? 'dialling…' : '–')),
      cell(rtt === undefined ? '–' : `${rtt.toFixed(1)} ms`),
    )
    rows.push(row)
  }
  for (const [peer, kind] of kinds) {
    if (known.has(peer)) continue
    graph.push({ peer, kind, member: true })
    const row = document.createElement('tr')
    row.dataset.peer = peer
    row.dataset.kind = kind
    row.append(cell(short(peer)), cell('tab'), cell(kind), cell('–'))
    rows.push(row)
  }
  element('peers').replaceChildren(...rows)
  drawMeshGraph(element<SVGSVGElement>('graph'), status.self, graph)
  element('relay-state').textContent = mesh === undefined ? '–' : `${mesh.relay.state}`
  element('toggle-online').textContent = mesh?.online === false ? 'Go back online' : 'Go offline'
}

function renderChannels(status: MeshLogStatus): void {
  const rows = status.channels.map((c) => {
    const m = c.metrics
    const row = document.createElement('tr')
    row.dataset.channel = c.channel
    row.dataset.role = c.role
    const target = c.role === 'leader' ? c.nextSeq : (m.leaderTailSeq ?? c.nextSeq)
    const progress = document.createElement('progress')
    progress.max = Math.max(1, target)
    progress.value = Math.min(c.nextSeq, progress.max)
    const behind = Math.max(0, target - c.nextSeq)
    const lagMs = c.role === 'leader' ? m.leaderLagMs : m.replicaLagMs
    const catchUp = cell(` ${behind} behind`)
    catchUp.prepend(progress)
    row.append(
      cell(c.channel),
      cell(c.role, `role-${c.role}`),
      cell(c.role === 'leader' ? 'me' : short(c.leader)),
      cell(String(c.nextSeq)),
      cell(lagMs === null ? '–' : `${Math.round(lagMs)} ms`),
      catchUp,
      cell(
        `applied ${m.appliedEntriesTotal} · heartbeats ${m.heartbeatsSentTotal} · ` +
          `elections ${m.electionsRunTotal} · leader changes ${m.leaderChangesTotal} · ` +
          `drops ${m.drops.total}`,
        'counters',
      ),
    )
    return row
  })
  element('channels').replaceChildren(...rows)
  const chat = status.channels.find((c) => c.channel === CHANNEL)
  if (chat !== undefined) {
    element('tail').textContent = String(chat.nextSeq)
    element('payload-bytes').textContent = String(chat.payloadBytes)
  }
}

function renderEntries(entries: readonly Entry[]): void {
  const shown = entries.slice(-SHOWN_ENTRIES)
  const note = element('entries-note')
  note.hidden = shown.length === entries.length
  note.textContent = `the newest ${shown.length} of ${entries.length} entries`
  element('entries').replaceChildren(
    ...shown.map((e) => {
      const item = document.createElement('li')
      item.dataset.seq = String(e.seq)
      const seq = document.createElement('span')
      seq.textContent = `#${e.seq}`
      const text = document.createElement('span')
      text.className = 'payload'
      text.textContent = decoder.decode(e.payload)
      const hash = document.createElement('span')
      hash.className = 'hash'
      hash.textContent = toHex(e.hash, 'base16').slice(0, 12)
      hash.title = `by ${e.author}`
      item.append(seq, text, hash)
      return item
    }),
  )
}

async function main(): Promise<void> {
  const relay = await relayAddress()
  const room = params.get('room') ?? 'demo'
  const log = await MeshLog.create({
    namespace: params.get('namespace') ?? 'meshlog-demo',
    // A member the relay says left must answer a ping within 1 s or its link closes.
    mesh: { relay, room, iceServers: [], network: { probeTimeoutMs: 1_000 } },
    ...(params.has('heartbeatMs') ? { heartbeatMs: Number(params.get('heartbeatMs')) } : {}),
  })
  const events: DemoEvent[] = []
  log.on('role-changed', (e) => {
    events.push({
      type: 'role-changed',
      channel: e.detail.channel,
      role: e.detail.to,
      at: Date.now(),
    })
  })
  log.on('leader-changed', (e) => {
    events.push({
      type: 'leader-changed',
      channel: e.detail.channel,
      ...(e.detail.leader === undefined ? {} : { leader: e.detail.leader }),
      at: Date.now(),
    })
  })
  // The control loop's snapshot arrives as an event (at most every 250 ms),
  // so this panel moves with the worker's reconciles, not with our polling.
  log.on('snapshot', (e) => renderControl(e.detail))
  element('peer-id').textContent = log.peerId
  element('room').textContent = room
  element('channel-name').textContent = CHANNEL
  await log.open(CHANNEL, { replicaSet: 'room', entryEvents: false })

  // The page's copy of the log: a subscription from seq 0, re-read on a reset.
  let entries: Entry[] = []
  let stopFeed: (() => Promise<void>) | undefined
  const follow = async (from: number): Promise<void> => {
    await stopFeed?.()
    stopFeed = await log.subscribe(
      CHANNEL,
      (batch) => {
        entries.push(...batch)
        renderEntries(entries)
      },
      {
        from,
        onReset: (reset) => {
          entries = entries.filter((e) => e.seq < reset.resumeAt && e.seq >= reset.firstSeq)
          renderEntries(entries)
        },
      },
    )
  }
  await follow(0)

  let latest: MeshLogStatus | undefined
  const refresh = async (): Promise<void> => {
    try {
      latest = await log.status()
      renderPeers(latest)
      renderChannels(latest)
      element('status').textContent = 'ready'
    } catch (error) {
      element('status').textContent = `status failed: ${(error as Error).message}`
    }
  }
  const tick = (): void => {
    void refresh().finally(() => setTimeout(tick, STATUS_INTERVAL_MS))
  }
  tick()

  const append = async (text: string): Promise<number | undefined> => {
    const receipt = await log.append(CHANNEL, encoder.encode(text))
    return 'seq' in receipt ? receipt.seq : undefined
  }

  element<HTMLFormElement>('append-form').addEventListener('submit', (event) => {
    event.preventDefault()
    const input = element<HTMLInputElement>('message')
    const text = input.value
    if (text.length === 0) return
    append(text)
      .then(() => {
        input.value = ''
        showError(undefined)
      })
      .catch((error: unknown) => showError(`append failed: ${(error as Error).message}`))
  })
  const toggle = element<HTMLButtonElement>('toggle-online')
  toggle.disabled = false
  toggle.addEventListener('click', () => {
    toggle.disabled = true
    log
      .setOnline(!log.online)
      .then(refresh)
      .catch((error: unknown) => showError(`switching failed: ${(error as Error).message}`))
      .finally(() => {
        toggle.disabled = false
      })
  })
  element('open-peer').addEventListener('click', () => {
    // A new window takes the next free tab slot: another peer with its own key and log.
    window.open(location.href, '_blank', 'noopener')
  })

  const api: MeshlogDemoApi = {
    peerId: log.peerId,
    channel: CHANNEL,
    status: () => log.status(),
    entries: (): DemoEntry[] =>
      entries.map((e) => ({ seq: e.seq, author: e.author, text: decoder.decode(e.payload) })),
    append,
    setOnline: (online) => log.setOnline(online),
    events: () => [...events],
  }
  window.meshlogDemo = api
}

main().catch((error: unknown) => {
  window.meshlogDemoError =
    error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error)
  element('status').textContent = `failed: ${(error as Error).message}`
  console.error(error)
})
