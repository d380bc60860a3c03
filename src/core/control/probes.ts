/**
 * Pull probes, polled once per tick before reconcile. They are synchronous
 * reads of a sample the shell keeps fresh (e.g. it refreshes
 * `navigator.storage.estimate()` in the background), so a tick never waits
 * on I/O. Probes are installed from outside the loop and may throw: the
 * loop isolates each call.
 */
import type { PeerId } from '../log/ids.js'
import type { PeerHealth } from './control-events.js'

export interface RttSample {
  readonly peer: PeerId
  readonly rttMs: number
}

export interface HealthSample {
  readonly peer: PeerId
  /** Runtime, worker and storage health folded into one verdict by the probe. */
  readonly health: PeerHealth
}

export interface PeerInventory {
  readonly storageUsageBytes?: number
  readonly storageQuotaBytes?: number
  /** Bytes held per channel id. */
  readonly logBytes?: Readonly<Record<string, number>>
}

export interface InventorySample {
  readonly peer: PeerId
  readonly inventory: PeerInventory
}

export interface LocalityProbe {
  rttSamples(): readonly RttSample[]
}

export interface HealthProbe {
  healthSamples(): readonly HealthSample[]
}

/** May return `[]` for "nothing this tick"; that never erases what earlier ticks saw. */
export interface InventoryProbe {
  inventorySamples(): readonly InventorySample[]
}

export interface ProbeCounts {
  readonly locality: number
  readonly health: number
  readonly inventory: number
}

/**
 * Shared between the loop and whoever installs probes, so probes can be
 * attached after the loop started; the next tick polls them.
 */
export class ProbeRegistry {
  #locality: LocalityProbe[] = []
  #health: HealthProbe[] = []
  #inventory: InventoryProbe[] = []

  addLocalityProbe(probe: LocalityProbe): void {
    this.#locality = [...this.#locality, probe]
  }

  addHealthProbe(probe: HealthProbe): void {
    this.#health = [...this.#health, probe]
  }

  /** Later probes overwrite earlier ones for the same peer. */
  addInventoryProbe(probe: InventoryProbe): void {
    this.#inventory = [...this.#inventory, probe]
  }

  clearLocalityProbes(): void {
    this.#locality = []
  }

  clearHealthProbes(): void {
    this.#health = []
  }

  /** Detach a stale set before installing replacements, or it keeps overwriting them. */
  clearInventoryProbes(): void {
    this.#inventory = []
  }

  counts(): ProbeCounts {
    return {
      locality: this.#locality.length,
      health: this.#health.length,
      inventory: this.#inventory.length,
    }
  }

  /** The installed lists, as of now; later installs do not change them. */
  current(): {
    readonly locality: readonly LocalityProbe[]
    readonly health: readonly HealthProbe[]
    readonly inventory: readonly InventoryProbe[]
  } {
    return { locality: this.#locality, health: this.#health, inventory: this.#inventory }
  }
}
