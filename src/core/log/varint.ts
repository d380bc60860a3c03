/**
 * Unsigned LEB128 varints in their shortest form, as a run's entries use
 * them (entry-run.ts, run-wire.ts), and the faults a reader of run bytes
 * reports.
 */

/** What is wrong with bytes that are not a run (named as the wire decoder names it). */
export type RunFaultKind = 'truncated' | 'bad-varint' | 'bad-enum' | 'over-limit' | 'trailing-bytes'

/** Called with why the bytes are not a run and where; must throw. */
export type RunFault = (kind: RunFaultKind, why: string, offset: number) => never

export function varintLength(value: number): number {
  let n = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    n++
  }
  return n
}

export function writeVarint(out: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    out[offset++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  out[offset++] = value
  return offset
}

// Where the last readVarint stopped (one scratch cursor: parsing is synchronous).
let cursor = 0

/** The offset just past the varint `readVarint` read last. */
export function varintEnd(): number {
  return cursor
}

/** A shortest-form varint that is a safe integer, at `offset`; `varintEnd()` is then past it. */
export function readVarint(data: Uint8Array, offset: number, fail: RunFault): number {
  let value = 0
  let scale = 1
  for (let n = 0; n < 8; n++) {
    const byte = data[offset++]
    if (byte === undefined) return fail('truncated', 'truncated entry', offset)
    value += (byte & 0x7f) * scale
    if (byte < 0x80) {
      if (byte === 0 && n > 0) fail('bad-varint', 'varint not in its shortest form', offset)
      if (!Number.isSafeInteger(value)) break
      cursor = offset
      return value
    }
    scale *= 128
  }
  return fail('bad-varint', 'varint too large', offset)
}
