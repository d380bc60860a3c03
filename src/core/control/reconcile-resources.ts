/**
 * Connectivity, anti-entropy and storage: dial the peers our channels need
 * (exponential backoff per peer), start a periodic sync session per running
 * channel with its best partner, and under storage pressure withdraw one
 * replica channel per tick (largest first, never one we lead), rejoining
 * all once usage falls below the low watermark.
 */
import type { ChannelId, PeerId } from '../log/ids.js'
import { sortedKeys, wantsRuntime } from './control-state.js'
import { isLeaving } from './maintenance.js'
import { pickSyncPartner } from './peer-ranking.js'
import type { ReconcileContext } from './reconcile-drain.js'

export function reconcileDials(ctx: ReconcileContext): void {
  const { state, config, now, out } = ctx
  if (isLeaving(state)) return
  const needed = new Set<PeerId>()
  for (const channel of sortedKeys(state.channels)) {
    const desired = state.channels.get(channel)
    if (!wantsRuntime(state, desired) || state.withdrawn.has(channel)) continue
    for (const member of desired?.replicaSet ?? []) needed.add(member)
    const leader = state.runtimes.get(channel)?.leader
    if (leader !== undefined) needed.add(leader)
  }
  let dials = 0
  for (const peer of [...needed].sort()) {
    if (dials >= config.maxDialsPerTick) return
    if (peer === state.thisPeer || state.connected.has(peer) || state.remoteDraining.has(peer))
      continue
    const dial = state.dials.get(peer)
    if (dial !== undefined && now < dial.nextAt) continue
    // Without a backoff slot we could not pace this peer; skip it rather than hammer it.
    if (dial === undefined && state.dials.size >= config.maxPeers) continue
    out.push({ kind: 'dial-peer', peer, attempt: (dial?.attempts ?? 0) + 1 })
    dials++
  }
}

export function reconcileSyncs(ctx: ReconcileContext): void {
  const { state, config, now, out } = ctx
  if (isLeaving(state)) return
  let starts = 0
  for (const channel of sortedKeys(state.runtimes)) {
    if (starts >= config.maxSyncStartsPerTick) return
    const runtime = state.runtimes.get(channel)
    if (runtime?.status !== 'running' || state.withdrawn.has(channel)) continue
    const last = state.lastSyncAt.get(channel)
    if (last !== undefined && now - last < config.syncIntervalMs) continue
    const peer = pickSyncPartner(state, channel)
    if (peer === undefined) continue
    out.push({ kind: 'start-sync', channel, peer })
    starts++
  }
}

function logBytes(ctx: ReconcileContext, channel: ChannelId): number {
  const bytes = ctx.state.inventory.get(ctx.state.thisPeer)?.logBytes?.[channel]
  return typeof bytes === 'number' && Number.isFinite(bytes) ? bytes : 0
}

export function reconcileStorage(ctx: ReconcileContext): void {
  const { state, config, out } = ctx
  const storage = state.storage
  if (storage === undefined) return
  const usageRatio = storage.usageBytes / storage.quotaBytes
  if (usageRatio >= config.storageHighWatermark) {
    const candidates = sortedKeys(state.runtimes).filter((channel) => {
      const runtime = state.runtimes.get(channel)
      return (
        runtime?.status === 'running' && runtime.role !== 'leader' && !state.withdrawn.has(channel)
      )
    })
    candidates.sort((a, b) => logBytes(ctx, b) - logBytes(ctx, a))
    const channel = candidates[0]
    if (channel !== undefined)
      out.push({ kind: 'withdraw', channel, reason: 'storage-pressure', usageRatio })
    return
  }
  if (usageRatio < config.storageLowWatermark) {
    for (const channel of sortedKeys(state.withdrawn)) out.push({ kind: 'rejoin', channel })
  }
}
