/**
 * Polling the installed probes once per tick, before reconcile, so it sees
 * this tick's samples. Each probe call is isolated: one that throws (or
 * returns something that is not a sample list) is logged, counted and
 * skipped; the loop goes on.
 */
import { peerId } from '../log/ids.js'
import type { Logger } from '../logger.js'
import type { ControlConfig } from './control-config.js'
import type { ControlState } from './control-state.js'
import type { InventorySample, PeerInventory, ProbeRegistry } from './probes.js'

export type ProbeKind = 'locality' | 'health' | 'inventory'

export interface ProbePollOutcome {
  /** One entry per probe call that failed. */
  readonly failed: readonly ProbeKind[]
  /** Samples skipped because they were malformed or over the peer cap. */
  readonly rejectedSamples: number
}

const HEALTH_VALUES = new Set<unknown>(['healthy', 'degraded', 'unreachable'])

function isPeer(value: unknown): boolean {
  try {
    peerId(value as string)
    return true
  } catch {
    return false
  }
}

function isBytes(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

function isInventory(value: unknown): value is PeerInventory {
  if (typeof value !== 'object' || value === null) return false
  const inv = value as PeerInventory
  if (inv.storageUsageBytes !== undefined && !isBytes(inv.storageUsageBytes)) return false
  if (inv.storageQuotaBytes !== undefined && !isBytes(inv.storageQuotaBytes)) return false
  if (inv.logBytes === undefined) return true
  if (typeof inv.logBytes !== 'object' || inv.logBytes === null) return false
  return Object.values(inv.logBytes).every(isBytes)
}

/** Calls `read`; a throw or a non-array answer is a failed probe, never a crashed loop. */
function sample<T>(
  kind: ProbeKind,
  read: () => readonly T[],
  logger: Logger,
): readonly T[] | undefined {
  try {
    const samples = read()
    if (Array.isArray(samples)) return samples
    logger.error(`${kind} probe returned a non-array; sample skipped this tick`)
  } catch (error) {
    logger.error(`${kind} probe threw; sample skipped this tick`, { error: String(error) })
  }
  return undefined
}

export function pollProbes(
  registry: ProbeRegistry,
  state: ControlState,
  config: ControlConfig,
  logger: Logger,
): ProbePollOutcome {
  const probes = registry.current()
  const failed: ProbeKind[] = []
  let rejectedSamples = 0
  const fits = (map: ReadonlyMap<unknown, unknown>, peer: unknown) =>
    map.has(peer) || map.size < config.maxPeers

  for (const probe of probes.locality) {
    const samples = sample('locality', () => probe.rttSamples(), logger)
    if (samples === undefined) failed.push('locality')
    for (const s of samples ?? []) {
      const ok = isPeer(s?.peer) && isBytes(s.rttMs) && fits(state.rtt, s.peer)
      if (ok) state.rtt.set(s.peer, s.rttMs)
      else rejectedSamples++
    }
  }
  for (const probe of probes.health) {
    const samples = sample('health', () => probe.healthSamples(), logger)
    if (samples === undefined) failed.push('health')
    for (const s of samples ?? []) {
      const ok = isPeer(s?.peer) && HEALTH_VALUES.has(s.health) && fits(state.health, s.peer)
      if (ok) state.health.set(s.peer, s.health)
      else rejectedSamples++
    }
  }

  // The inventory map is probe-exclusive, so this pass may prune it; rtt and
  // health are also fed by events and are not pruned here.
  const seen = new Set<string>()
  let allSucceeded = true
  let anySawSamples = false
  for (const probe of probes.inventory) {
    const samples: readonly InventorySample[] | undefined = sample(
      'inventory',
      () => probe.inventorySamples(),
      logger,
    )
    if (samples === undefined) {
      allSucceeded = false
      failed.push('inventory')
      continue
    }
    if (samples.length > 0) anySawSamples = true
    for (const s of samples) {
      if (!(isPeer(s?.peer) && isInventory(s.inventory) && fits(state.inventory, s.peer))) {
        rejectedSamples++
        continue
      }
      seen.add(s.peer)
      // Our own copy: a probe that later mutates its object must not change folded state.
      const { logBytes, ...totals } = s.inventory
      state.inventory.set(
        s.peer,
        logBytes === undefined ? totals : { ...totals, logBytes: { ...logBytes } },
      )
      const { storageUsageBytes: usage, storageQuotaBytes: quota } = s.inventory
      if (s.peer === state.thisPeer && usage !== undefined && quota !== undefined && quota > 0) {
        state.storage = { usageBytes: usage, quotaBytes: quota }
      }
    }
  }
  // seed 002: inventory GC only when every probe succeeded (a failed probe's peers are not
  // known gone) and some probe saw samples (an empty answer is "nothing this tick", not "no peers")
  if (allSucceeded && anySawSamples) {
    for (const peer of [...state.inventory.keys()]) {
      if (!seen.has(peer)) state.inventory.delete(peer)
    }
  }
  return { failed, rejectedSamples }
}
