/**
 * Which segment records a channel has: their first seqs, ascending. Segments
 * are dense (each runs up to the next one's first seq, the last up to the
 * channel's tail), so first seqs alone say which records cover a range.
 */
export class SegmentIndex {
  readonly #firsts = new Map<string, number[]>()

  static fromKeys(keys: readonly (readonly [string, number])[]): SegmentIndex {
    const index = new SegmentIndex()
    // IndexedDB returns keys sorted by [channel, firstSeq].
    for (const [channel, first] of keys) {
      const list = index.#firsts.get(channel)
      if (list === undefined) index.#firsts.set(channel, [first])
      else list.push(first)
    }
    return index
  }

  all(channel: string): number[] {
    return this.#firsts.get(channel) ?? []
  }

  replace(channel: string, firsts: number[]): void {
    if (firsts.length === 0) this.#firsts.delete(channel)
    else this.#firsts.set(channel, firsts)
  }

  /** First seqs of the segments holding any seq in [from, end). */
  covering(channel: string, from: number, end: number): number[] {
    const firsts = this.all(channel)
    // Last segment starting at or before `from`.
    let lo = 0
    let hi = firsts.length - 1
    let start = 0
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((firsts[mid] as number) <= from) {
        start = mid
        lo = mid + 1
      } else {
        hi = mid - 1
      }
    }
    let stop = start
    while (stop < firsts.length && (firsts[stop] as number) < end) stop++
    return firsts.slice(start, stop)
  }
}
