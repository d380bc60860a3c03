/**
 * What happened in one run, as text: every notable event (faults, role
 * changes, acknowledged appends, checks) becomes one line stamped with the
 * simulated time. Every line feeds the run digest, so two runs of one seed
 * must produce the same digest; the last lines are kept in a bounded ring
 * for the violation report, and a verbose run prints each line as it comes.
 *
 * The digest is FNV-1a over the lines, in two 32-bit lanes with different
 * offsets (64 bits): enough to tell two runs apart, not a security hash.
 */

export const TRACE_RING_DEFAULT = 60

export class SimTrace {
  readonly #ring: string[] = []
  readonly #ringSize: number
  readonly #sink: ((line: string) => void) | undefined
  #lanes = [0x811c9dc5, 0x01000193 ^ 0x5bd1e995]
  #lines = 0

  constructor(options: { ringSize?: number; sink?: (line: string) => void } = {}) {
    this.#ringSize = options.ringSize ?? TRACE_RING_DEFAULT
    this.#sink = options.sink
  }

  /** Lines recorded so far. */
  get lines(): number {
    return this.#lines
  }

  /** Records one line at simulated time `now`. */
  note(now: number, text: string): void {
    const line = `${now} ${text}`
    this.#feed(line)
    this.#lines += 1
    this.#ring.push(line)
    if (this.#ring.length > this.#ringSize) this.#ring.shift()
    this.#sink?.(line)
  }

  /** Feeds the digest without keeping or printing a line (bulk state at the end). */
  absorb(text: string): void {
    this.#feed(text)
  }

  /** The most recent lines, oldest first. */
  recent(): string[] {
    return [...this.#ring]
  }

  digest(): string {
    return this.#lanes.map((lane) => (lane >>> 0).toString(16).padStart(8, '0')).join('')
  }

  #feed(text: string): void {
    let [a, b] = this.#lanes as [number, number]
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      a = Math.imul(a ^ c, 0x01000193)
      b = Math.imul(b ^ c, 0x01000193)
      b ^= b >>> 15
    }
    // A separator, so ["ab", "c"] and ["a", "bc"] differ.
    a = Math.imul(a ^ 0x0a, 0x01000193)
    b = Math.imul(b ^ 0x0a, 0x01000193)
    this.#lanes = [a, b]
  }
}
