/** Counts dropped work by reason; `total` is always the sum of the reasons. */
export class DropCounter<Reason extends string> {
  readonly #counts: Record<Reason, number>

  constructor(reasons: readonly Reason[]) {
    this.#counts = Object.fromEntries(reasons.map((r) => [r, 0])) as Record<Reason, number>
  }

  record(reason: Reason, n = 1): void {
    this.#counts[reason] += n
  }

  get(reason: Reason): number {
    return this.#counts[reason]
  }

  get total(): number {
    let sum = 0
    for (const n of Object.values(this.#counts) as number[]) sum += n
    return sum
  }

  snapshot(): Readonly<Record<Reason, number>> & { readonly total: number } {
    return { ...this.#counts, total: this.total }
  }
}
