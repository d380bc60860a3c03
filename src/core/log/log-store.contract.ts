/**
 * The LogStore contract: one suite every implementation passes, run against
 * MemoryLogStore in Node and IdbLogStore in Chromium and Firefox. A harness
 * supplies the store-specific parts (how to reopen, how to damage stored
 * bytes, how to run out of space); the parts of the suite are in contract/.
 */
import { describe } from 'vitest'
import { type LogStoreHarness, useContractKit } from './contract/contract-kit.js'
import { cutsContract } from './contract/cuts.contract.js'
import { durabilityContract } from './contract/durability.contract.js'
import { entriesContract } from './contract/entries.contract.js'
import { modelContract } from './contract/model.contract.js'
import { outboxContract } from './contract/outbox.contract.js'

export type { LogStoreHarness } from './contract/contract-kit.js'

export function defineLogStoreContract(harness: LogStoreHarness): void {
  describe(`LogStore contract: ${harness.name}`, () => {
    const kit = useContractKit(harness)
    entriesContract(kit)
    cutsContract(kit)
    durabilityContract(kit)
    outboxContract(kit)
    modelContract(kit)
  })
}
