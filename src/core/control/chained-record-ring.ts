/**
 * A bounded ring of sequenced records that are also hash-chained: the audit
 * ring and the log ring. `seq` is monotonic per loop from 1 (0 reads as
 * "unset"); consumers dedupe on (runtimeEpochId, seq). The ring drops its
 * oldest record FIFO; the chain keeps every record it accepted.
 */
import type { ChainStatus, HashChainWriter } from './hash-chain.js'
import { RecentRing } from './recent-ring.js'

export type Chained<R> = R & { readonly chainPending: boolean; readonly chainHash?: string }

interface Entry<R> {
  readonly record: R
  readonly status: ChainStatus
}

export class ChainedRecordRing<R extends { readonly seq: number }> {
  readonly #ring: RecentRing<Entry<R>>
  readonly #chain: HashChainWriter<R>
  #seq = 0

  constructor(capacity: number, chain: HashChainWriter<R>) {
    this.#ring = new RecentRing(capacity)
    this.#chain = chain
  }

  get lastSeq(): number {
    return this.#seq
  }

  get chain(): HashChainWriter<R> {
    return this.#chain
  }

  /** Stamps the next seq, puts the record in the ring, then onto the chain. */
  append(build: (seq: number) => R): R {
    this.#seq++
    const record = Object.freeze(build(this.#seq))
    const status: ChainStatus = { chainPending: false, chainHash: undefined }
    this.#ring.push({ record, status })
    this.#chain.push(record, status)
    return record
  }

  /** Oldest first, with each record's chain status as of now. */
  entries(): Chained<R>[] {
    return this.#ring.toArray().map(({ record, status }) => ({
      ...record,
      chainPending: status.chainPending,
      ...(status.chainHash === undefined ? {} : { chainHash: status.chainHash }),
    }))
  }
}
